/* The Stop…/Restart… confirmation of a service card (templates/components/service_confirm.html):
   Escape does what its Cancel does. The card that comes back puts the focus on the button that
   opened the confirmation itself (its Cancel asks for it with back_to), so nothing here races the
   swap. Without htmx, Cancel is a plain link back to the page, which Escape follows too. */
(function () {
  "use strict";

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented || !(event.target instanceof Element)) return;
    const confirm = event.target.closest("[data-service-confirm]");
    const cancel = confirm && confirm.querySelector("[data-confirm-cancel]");
    if (!cancel) return;
    event.preventDefault();
    cancel.click();
  });
})();
