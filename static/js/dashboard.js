/* Dashboard: draw the queue's trend from its json_script data, and feed the same chart the new
   points each time htmx swaps the refreshed part in (its canvas is kept: hx-preserve). */
(function () {
  "use strict";
  let chart = null;
  const SERIES = [
    ["local", "Local", "#0d6efd"],
    ["remote", "Remote", "#fd7e14"],
    ["todo", "Todo", "#6c757d"],
  ];

  function draw() {
    const canvas = document.getElementById("queue-trend");
    const source = document.getElementById("queue-trend-data");
    if (!canvas || !source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    if (chart && chart.canvas === canvas) {
      chart.data.labels = data.labels;
      SERIES.forEach(([key], i) => {
        chart.data.datasets[i].data = data[key];
        chart.data.datasets[i].pointRadius = data.labels.length < 3 ? 3 : 0; // a lone point stays visible
      });
      chart.update("none");
    } else {
      if (chart) chart.destroy();
      chart = new Chart(canvas, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: SERIES.map(([key, label, color]) => ({
            label, data: data[key], borderColor: color, backgroundColor: color,
            pointRadius: data.labels.length < 3 ? 3 : 0, borderWidth: 2, tension: 0.2,
          })),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: "index", intersect: false },
          scales: {
            x: { ticks: { maxRotation: 0, autoSkipPadding: 16 } },
            y: { beginAtZero: true, ticks: { precision: 0 } },
          },
        },
      });
    }
    canvas.dataset.points = String(data.labels.length);
  }

  function isLive(event) {
    const target = event.detail && event.detail.target;
    return Boolean(target && target.id === "dashboard-live");
  }

  function noteRefresh(failed) {
    const note = document.getElementById("refresh-note");
    if (!note) return;
    if (!note.dataset.usual) note.dataset.usual = note.textContent;
    const at = new Date().toLocaleTimeString();
    note.textContent = failed ? `Could not refresh at ${at}: the panel did not answer; trying again.` : note.dataset.usual;
    note.classList.toggle("text-danger", failed);
    note.classList.toggle("text-muted", !failed);
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", (event) => {
    draw();
    if (isLive(event)) noteRefresh(false);
  });
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (!isLive(event)) return;
    // A session that ended answers with the login page: show it whole, not inside the dashboard.
    if (event.detail.xhr.status === 200 && !event.detail.xhr.responseText.includes('id="dashboard-live"')) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });
  document.addEventListener("htmx:responseError", (event) => { if (isLive(event)) noteRefresh(true); });
  document.addEventListener("htmx:sendError", (event) => { if (isLive(event)) noteRefresh(true); });
})();
