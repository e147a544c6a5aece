/* htmx puts no error answer in the page: a save, a service button or a queue tool whose request
   failed changed nothing on the screen, and the admin took the silence for success (or for a button
   that did nothing). Every failed htmx request of a page says so, and what the typed input was stays
   where it is (nothing is swapped); htmx itself gives the buttons back and stops the indicators.

   - 403 from Django itself (a form from an earlier login, the CSRF check; or an account that may not
     do it): the panel's own page's reason (403_csrf.html, 403.html), above the page.
   - 401 (the session ended) is not ours: its HX-Redirect takes the page to the login.
   - Any other error answer (500: the panel failed; 502/503/504: the web server in front of it, the
     panel restarting), no answer (the network, htmx:sendError) or one too late (htmx:timeout): in
     the box or card whose request it was. For a save or an action nobody knows whether it was carried
     out, so the admin is sent to Recent changes before trying again; a read says it could not be read.

   A request the admin made (a click, a submit, a key) takes the focus once, if the focus is still
   where they pressed; a request the page made by itself (a poll, a box read again after a change)
   only leaves a quiet note, replaced by the box's next answer. The dashboard's refresh and the Mail
   Logs report say it in their own words (dashboard.js, mail-logs.js: the bar gives way to the
   report's failure, so a progress read that failed is not said). The mail alerts strip says it could
   not be read, which on every page tells that the panel does not answer, until its next answer. */
(function () {
  "use strict";
  const OWN_WORDS = ["dashboard-live", "report-run", "report-progress"];
  // A POST that changes nothing (the route tester, the GTUBE and EICAR scans) has its form marked
  // data-request-reads: its failure is a read's, not an action whose outcome is unknown.
  const BY_HAND = ["click", "submit", "keydown", "keyup", "change", "input", "search"];

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

  function refusedByDjango(xhr) {
    const answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const reason = answer.querySelector("[data-testid=csrf-failure], [data-testid=forbidden-reason]");
    if (!reason) return false;
    const title = answer.querySelector("h1");
    say(`${title ? title.textContent.trim() + ". " : ""}${reason.textContent.replace(/\s+/g, " ").trim()}` +
        (reason.dataset.testid === "csrf-failure" ? " Copy what you typed, then reload the page." : ""));
    return true;
  }

  function what(kind, status) {
    if (kind === "htmx:timeout") return "the panel did not answer in time";
    if (!status) return "the panel could not be reached (no answer: the network or the web server is down)";
    if (status === 500) return "the panel failed (HTTP 500)";
    if (status === 502 || status === 503 || status === 504) {
      return `the panel could not be reached (HTTP ${status} from the web server in front of it; the panel may be restarting)`;
    }
    return `the panel answered HTTP ${status}`;
  }

  function recentChanges() {
    return Array.from(document.querySelectorAll("header a")).find((a) => a.textContent.trim() === "Recent changes");
  }

  function typedInto(elt) {
    const form = elt && elt.closest("form");
    return Boolean(form && form.querySelector(
      "textarea, select, input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=checkbox]):not([type=radio])"));
  }

  function note(event, byHand) {
    const detail = event.detail;
    const config = detail.requestConfig || {};
    const verb = (config.verb || "get").toLowerCase();
    const reads = verb === "get" || Boolean(detail.elt && detail.elt.closest("[data-request-reads]"));
    const status = detail.xhr ? detail.xhr.status : 0;
    const box = document.createElement("div");
    box.className = "alert alert-danger py-2 small request-failed";
    box.dataset.testid = "request-failed";
    const head = document.createElement("strong");
    const rest = document.createElement("span");
    if (reads) {
      head.textContent = "Could not be read: ";
      rest.textContent = `${what(event.type, status)}. ` +
        (byHand ? "Nothing was changed; try again." : "What is shown here may be out of date.");
      box.append(head, rest);
    } else {
      head.textContent = "Not confirmed: ";
      rest.textContent = `${what(event.type, status)}. Whether it was done is not known: look at `;
      const link = recentChanges();
      const changes = document.createElement(link ? "a" : "span");
      if (link) { changes.href = link.getAttribute("href"); changes.className = "alert-link"; }
      changes.textContent = "Recent changes";
      const after = document.createElement("span");
      after.textContent = " or reload the page before trying again." +
        (byHand && typedInto(detail.elt) ? " What you typed is kept here." : "");
      box.append(head, rest, changes, after);
    }
    if (byHand) {
      box.setAttribute("role", "alert");
      box.setAttribute("tabindex", "-1");
    }
    return box;
  }

  /* Where the admin looks: inside the box the answer was to replace (its card body, if it has one),
     or, when that box is gone or is the page itself, above the page. A box that is a live region
     (Train now's answer, the Mail Logs bar) would read the note out a second time: it goes after it. */
  function place(target, box) {
    const strip = document.getElementById("request-refused");
    if (!target || !document.body.contains(target) || target === document.body) {
      if (strip) strip.replaceChildren(box);
      return;
    }
    forget(target);
    if (target.id) box.dataset.for = target.id;
    const live = target.closest("[role=status], [role=alert], [role=log], [aria-live]");
    if (live) {
      live.after(box);
      return;
    }
    const body = target.querySelector(":scope > .card-body") || target;
    body.prepend(box);
  }

  function forget(target) {
    if (target && target.id) {
      document.querySelectorAll(".request-failed").forEach((old) => {
        if (old.dataset.for === target.id) old.remove();
      });
    }
  }

  /* Mail Logs: mail-logs.js puts the report's failure where the bar was (and the bar's polling stops
     with it), after this handler; the admin who pressed Run report is taken to it, once. */
  function reportFailed() {
    setTimeout(() => {
      const said = document.querySelector("#mail-logs [data-testid=run-error]");
      const active = document.activeElement;
      if (!said || (active && active !== document.body && !active.closest("#mail-logs"))) return;
      said.setAttribute("role", "alert");
      said.setAttribute("tabindex", "-1");
      said.focus();
    });
  }

  function failed(event) {
    const detail = event.detail;
    const elt = detail.elt;
    const target = detail.target;
    if (elt && elt.id === "report-run" && document.body.contains(elt)) reportFailed();
    if (OWN_WORDS.some((id) => (elt && elt.id === id) || (target && target.id === id))) return;
    const status = detail.xhr ? detail.xhr.status : 0;
    if (event.type === "htmx:responseError" && (status === 401 || (status === 403 && refusedByDjango(detail.xhr)))) return;
    const trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
    const byHand = Boolean(trigger && BY_HAND.includes(trigger.type));
    const box = note(event, byHand);
    const active = document.activeElement;
    const focusLeftBehind = !active || active === document.body || (target && target.contains(active)) ||
      (elt && elt.contains(active));
    place(target, box);
    if (byHand && focusLeftBehind) {
      box.scrollIntoView({ block: "nearest" });
      box.focus();
    }
  }

  // The box's next answer says what is now true: the note of an earlier failure goes.
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.successful) forget(event.detail.target);
  });
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:timeout", failed);
})();
