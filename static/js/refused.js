/* htmx puts no error answer in the page: a save or a service button refused by Django itself
   (a form from an earlier login, the CSRF check; or an account that may not do it) changed
   nothing on the screen, and the admin took the silence for success. Those two answers are the
   panel's own pages (403_csrf.html, 403.html): their message is shown above the page, focused,
   and what the admin typed stays where it is. */
(function () {
  "use strict";

  function say(text) {
    const strip = document.getElementById("request-refused");
    if (!strip) return;
    const alert = document.createElement("div");
    alert.className = "alert alert-danger py-2";
    alert.setAttribute("role", "alert");
    alert.setAttribute("tabindex", "-1");
    alert.dataset.testid = "request-refused";
    alert.textContent = text;
    strip.replaceChildren(alert);
    alert.focus();
  }

  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 403) return;
    const answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const reason = answer.querySelector("[data-testid=csrf-failure], [data-testid=forbidden-reason]");
    if (!reason) return;
    const title = answer.querySelector("h1");
    say(`${title ? title.textContent.trim() + ". " : ""}${reason.textContent.replace(/\s+/g, " ").trim()}` +
        (reason.dataset.testid === "csrf-failure" ? " Copy what you typed, then reload the page." : ""));
  });
})();
