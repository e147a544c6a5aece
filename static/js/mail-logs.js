/* Mail Logs page: draw the chart from its json_script data (on load and after each htmx swap),
   show only the period fields and report options that apply, keep the sort of a report only
   with that report, open a message's timeline under its row (one at a time), drop the
   answer of a report the admin has since replaced with another (stopping that report), and
   on Back or Forward bring back what was shown instead of reading the log again. */
(function () {
  "use strict";
  let chart = null;
  const COLORS = { success: "#198754", deferral: "#ffc107", failure: "#dc3545" };
  const LABELS = { success: "Successes", deferral: "Deferrals", failure: "Failures" };

  function drawChart() {
    const canvas = document.getElementById("delivery-chart");
    const source = document.getElementById("delivery-chart-data");
    if (chart && chart.canvas === canvas) return; // a timeline swap: the chart is unchanged
    if (chart) { chart.destroy(); chart = null; }
    if (!canvas || !source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.results.map((result) => ({
          label: LABELS[result], data: data[result], backgroundColor: COLORS[result], stack: "results",
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
    canvas.dataset.drawn = "true";
    canvas.dataset.datasets = data.results.join(" ");
  }

  function showPeriodFields() {
    const preset = document.getElementById("id_preset");
    if (!preset) return;
    document.querySelectorAll("[data-period]").forEach((box) => {
      const hasError = box.querySelector(".is-invalid") !== null;
      box.hidden = box.dataset.period !== preset.value && !hasError;
    });
  }

  function showReportOptions() {
    const report = document.getElementById("id_report");
    if (!report) return;
    document.querySelectorAll("[data-reports]").forEach((box) => {
      box.hidden = !box.dataset.reports.split(" ").includes(report.value);
    });
  }

  function refresh() { drawChart(); showPeriodFields(); showReportOptions(); }
  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("change", (event) => {
    const id = event.target && event.target.id;
    if (id === "id_preset") showPeriodFields();
    if (id === "id_report") {
      showReportOptions();
      // Another report has other columns: its table starts in its own order.
      ["id_sort", "id_reverse"].forEach((name) => {
        const field = document.getElementById(name);
        if (field) field.value = "";
      });
    }
  });

  // One timeline open at a time, under the row of its message; a second click closes it.
  document.addEventListener("htmx:beforeRequest", (event) => {
    const link = event.detail.elt;
    if (!link.matches || !link.matches("[data-testid=timeline-link]")) return;
    const row = link.closest("tr");
    const open = row.nextElementSibling;
    const same = open && open.classList.contains("timeline-row") && open.dataset.msg === link.dataset.msg;
    document.querySelectorAll(".timeline-row").forEach((other) => other.remove());
    if (same) event.preventDefault();
  });
  document.addEventListener("htmx:afterSettle", () => {
    const opened = document.querySelector(".timeline-row");
    if (opened && !opened.dataset.shown) {
      opened.dataset.shown = "true";
      showTimeline(opened);
    }
  });

  // As much of the timeline as the table's box shows, but never its row (nor the timeline's own
  // head) under the box's sticky header: a timeline is often taller than the box.
  function showTimeline(opened) {
    const row = opened.previousElementSibling;
    const box = opened.closest(".log-table");
    if (!row || !box) { opened.scrollIntoView({ block: "nearest" }); return; }
    const head = box.querySelector("thead");
    const top = box.getBoundingClientRect().top + (head ? head.offsetHeight : 0);
    const rowBelowTop = row.getBoundingClientRect().top - top;
    const hiddenBelow = opened.getBoundingClientRect().bottom - box.getBoundingClientRect().bottom;
    box.scrollTop += rowBelowTop < 0 ? rowBelowTop : Math.min(Math.max(hiddenBelow, 0), rowBelowTop);
    box.scrollIntoView({ block: "nearest" });
  }

  // Keyboard: a report's answer replaces the panel, and with it the control that asked for it (a
  // column header, Previous / Next, Run report). Focus goes back to that control in the new panel
  // (or to the table's title when it is gone), not to the top of the page.
  let refocus = null;
  document.addEventListener("htmx:beforeRequest", (event) => {
    const target = event.detail.target;
    if (!target || target.id !== "mail-logs" || event.detail.elt.id === "report-run") return;
    const active = document.activeElement;
    refocus = active && active.id && target.contains(active) ? active.id : null;
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (!refocus || document.getElementById("report-run")) return;
    const again = document.getElementById(refocus) || document.getElementById("report-name");
    refocus = null;
    if (again) again.focus();
  });

  // A new query (the form, a page or sort link) while a report runs: that report is stopped, so
  // it does not keep one of the agent's readers busy for an answer nobody will see.
  document.addEventListener("htmx:beforeRequest", (event) => {
    const running = document.getElementById("report-run");
    const target = event.detail.target;
    if (!running || event.detail.elt === running || !target || target.id !== "mail-logs") return;
    const button = running.querySelector("[data-testid=cancel-report]");
    if (button) htmx.ajax("POST", button.getAttribute("hx-post"), { source: button, swap: "none" });
  });

  // The report's request failed (the web server gave up on it, or the network): say so where the
  // bar was, and stop asking for progress.
  function runFailed(event) {
    const elt = event.detail.elt;
    if (!elt || elt.id !== "report-run" || !document.body.contains(elt)) return;
    const status = event.detail.xhr && event.detail.xhr.status;
    const note = document.createElement("div");
    note.className = "alert alert-danger py-2 mb-0";
    note.dataset.testid = "run-error";
    note.textContent = "The report did not come back (" +
      (status ? "the web server answered " + status : "no answer") +
      "). A shorter period or a filter reads less; the delivery index answers faster once it is ready.";
    elt.querySelector(".card-body").replaceChildren(note);
  }
  document.addEventListener("htmx:responseError", runFailed);
  document.addEventListener("htmx:sendError", runFailed);

  // Screen readers: the answer replaced the panel (focus moves, nothing is read), so the live
  // region beside it says what came back: the report and its rows, a cancel, or a refusal (an agent
  // error is an alert of its own).
  function announce() {
    const region = document.getElementById("report-announce");
    if (!region || document.getElementById("report-run")) return;
    const text = (id) => {
      const el = document.getElementById(id) || document.querySelector(`[data-testid=${id}]`);
      return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
    };
    const errors = document.querySelectorAll("#mail-logs .invalid-feedback, #mail-logs [data-testid=form-error]");
    let message = "";
    if (errors.length) message = `Not run: ${errors[0].textContent.replace(/\s+/g, " ").trim()}`;
    else if (text("report-cancelled")) message = "Report cancelled.";
    else if (text("report-name")) message = `${text("report-name")}: ${text("row-count")}.`;
    region.textContent = message;
  }
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target && event.detail.target.id === "mail-logs") announce();
  });

  // Back and Forward. A report's URL (?report=…) is the page that runs it, so coming back to it
  // by history (from another page: the browser loads it again; within the page: htmx's snapshot,
  // or a reload when htmx has none) would start the report again: a full log read, seconds on a
  // big log, that nobody asked for. It does not: the result shown at that URL is brought back as
  // it was, saying when it was read (kept here for the tab, as htmx keeps its snapshots); with
  // none kept, the form holds the query and Run report reads it. Run report, a page or sort link,
  // a typed URL and a reload still run it.
  const KEPT = "mail-logs-kept";
  const KEEP = 5;
  const HOLD = "mail-logs-hold";
  const here = () => location.pathname + location.search;
  const navigation = performance.getEntriesByType("navigation")[0];
  const firstRun = document.getElementById("report-run");
  let held = firstRun !== null && sessionStorage.getItem(HOLD) === here();
  sessionStorage.removeItem(HOLD);
  held = held || (firstRun !== null && navigation !== undefined && navigation.type === "back_forward");
  let restoring = false;

  function kept() {
    try { return JSON.parse(sessionStorage.getItem(KEPT) || "[]"); } catch (e) { return []; }
  }
  function keep() {
    const panel = document.getElementById("mail-logs");
    const url = panel && panel.dataset.url; // where it landed: at pagehide the URL may be Back's
    if (!url || !panel.querySelector("#results") || document.getElementById("report-run")) return;
    const copy = panel.cloneNode(true);
    copy.querySelectorAll(".timeline-row").forEach((row) => row.remove());
    copy.querySelectorAll("#delivery-chart").forEach(unDrawn);
    const entries = kept().filter((entry) => entry.url !== url);
    entries.push({ url, html: copy.outerHTML });
    while (entries.length) {
      try { sessionStorage.setItem(KEPT, JSON.stringify(entries.slice(-KEEP))); return; } catch (e) { entries.shift(); }
    }
  }
  // Kept when it lands, and again when the admin leaves the page (it may be left before then).
  document.addEventListener("htmx:afterSwap", (event) => {
    if (!event.detail.target || event.detail.target.id !== "mail-logs") return;
    const panel = document.getElementById("mail-logs");
    if (panel) panel.dataset.url = here();
    keep();
  });
  window.addEventListener("pagehide", keep);
  // A chart's canvas as the page sent it: Chart.js sizes it with a style attribute, which the
  // Content-Security-Policy refuses when that markup is parsed again (a snapshot brought back).
  function unDrawn(canvas) {
    canvas.removeAttribute("style");
    canvas.removeAttribute("data-drawn");
    canvas.removeAttribute("data-datasets");
  }
  // htmx's own snapshot is taken from the page itself, at once after this event: the canvas goes
  // without Chart.js's attributes for that moment only.
  document.addEventListener("htmx:beforeHistorySave", () => {
    const canvas = document.getElementById("delivery-chart");
    if (!canvas) return;
    const style = canvas.style.cssText; // put back through the CSSOM, which the policy allows
    const data = { ...canvas.dataset };
    unDrawn(canvas);
    setTimeout(() => { canvas.style.cssText = style; Object.assign(canvas.dataset, data); }, 0);
  });

  function bringBack(run) {
    const entry = kept().find((item) => item.url === here());
    const panel = document.getElementById("mail-logs");
    if (entry && panel && panel.contains(run)) {
      const holder = document.createElement("div");
      holder.innerHTML = entry.html;
      const again = holder.firstElementChild;
      panel.replaceWith(again);
      htmx.process(again);
      refresh();
    } else {
      const note = run.querySelector("[data-testid=report-not-kept]");
      const card = document.createElement("div");
      card.className = "card mb-3";
      card.dataset.testid = "report-held";
      if (note) { note.hidden = false; card.append(note); }
      run.replaceWith(card);
    }
    showKept() || say(document.querySelector("[data-testid=report-not-kept]"));
  }
  function showKept() {
    const note = document.querySelector("#mail-logs [data-testid=report-kept]");
    if (note) { note.hidden = false; say(note); }
    return note !== null;
  }
  function say(note) {
    const region = document.getElementById("report-announce");
    if (region && note) region.textContent = note.textContent.replace(/\s+/g, " ").trim();
  }

  document.addEventListener("htmx:confirm", (event) => {
    const elt = event.detail.elt;
    if (!elt || elt.id !== "report-run" || !(restoring || (held && elt === firstRun))) return;
    held = false;
    event.preventDefault();
    setTimeout(() => bringBack(elt), 0); // after htmx has done with the element
  });
  document.addEventListener("htmx:historyCacheHit", () => { restoring = true; });
  document.addEventListener("htmx:historyRestore", () => {
    restoring = false;
    if (!document.getElementById("report-run")) showKept(); // a snapshot with its result
  });
  // No snapshot: htmx would put the panel alone in place of the page. The page is loaded again
  // instead, holding its report as Back from another page does.
  document.addEventListener("htmx:historyCacheMiss", (event) => {
    event.preventDefault();
    sessionStorage.setItem(HOLD, here());
    location.reload();
  });

  // A report's answer replaces the panel only while its run is still the one on screen.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const elt = event.detail.elt;
    if (elt && elt.id === "report-run" && !document.body.contains(elt)) event.detail.shouldSwap = false;
  });
})();
