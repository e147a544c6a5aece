/* The Stop…/Restart… confirmation of a service card (templates/components/service_confirm.html):
   Escape does what its Cancel does, and once the card is back the focus returns to the button that
   opened the confirmation (the card alone would put it on its state line). Without htmx, Cancel is a
   plain link back to the page, which Escape follows too. */
(function () {
  "use strict";
  let returning = null; // {card, action}: the card coming back after a Cancel, and its opener's URL

  function cancelOf(confirm) {
    return confirm.querySelector("[data-confirm-cancel]");
  }

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented || !(event.target instanceof Element)) return;
    const confirm = event.target.closest("[data-service-confirm]");
    const cancel = confirm && cancelOf(confirm);
    if (!cancel) return;
    event.preventDefault();
    cancel.click();
  });

  document.addEventListener("click", (event) => {
    if (!(event.target instanceof Element)) return;
    const cancel = event.target.closest("[data-confirm-cancel]");
    const confirm = cancel && cancel.closest("[data-service-confirm]");
    const form = confirm && confirm.querySelector("form");
    // The confirmation posts to the URL its opener's form asked it from (/services/NAME/down/).
    returning = form ? { card: confirm.id, action: form.getAttribute("action") } : null;
  });

  document.body.addEventListener("htmx:afterSettle", (event) => {
    const card = event.target;
    if (!returning || !(card instanceof Element) || card.id !== returning.card) return;
    const action = returning.action;
    returning = null;
    const opener = Array.from(card.querySelectorAll('form[method="get"]'))
      .find((form) => form.getAttribute("action") === action);
    const button = opener && opener.querySelector("button");
    if (button && !button.disabled) button.focus();
  });
})();
