/* The mail alerts strip (templates/components/mail_alerts.html) is fetched again every minute, and
   its alerts are role="alert": swapped in again unchanged, a screen reader announced the same
   warning every minute, on every page. An answer the same as the one shown is not swapped in; a
   new or cleared alert is. */
(function () {
  "use strict";
  let shown = null;

  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (!target || target.id !== "mail-alerts" || !event.detail.shouldSwap) return;
    const answer = event.detail.serverResponse;
    if (answer === shown) event.detail.shouldSwap = false;
    else shown = answer;
  });
})();
