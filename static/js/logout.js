/* Logging out forgets what this tab kept of the panel's pages in sessionStorage: htmx's history
   snapshots and the Mail Logs results kept for Back and Forward (mail-logs.js), which hold the
   log's addresses. Otherwise whoever uses the tab next could bring them back without the server
   being asked. The login page forgets them too: a session that ended by itself lands there. */
(function () {
  "use strict";

  function forget() {
    try {
      sessionStorage.clear();
    } catch (e) {
      /* storage turned off: nothing was kept */
    }
  }

  document.addEventListener("submit", (event) => {
    if (event.target instanceof HTMLFormElement && event.target.matches("[data-logout]")) forget();
  });
  if (document.querySelector("[data-forget-tab]")) forget();
})();
