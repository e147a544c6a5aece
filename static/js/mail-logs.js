/* Mail Logs page: draw the deliveries chart from its json_script data (on load and after each
   htmx swap), and show only the period fields the chosen preset uses. */
(function () {
  "use strict";
  let chart = null;

  function drawChart() {
    const canvas = document.getElementById("delivery-chart");
    const source = document.getElementById("delivery-chart-data");
    if (chart && chart.canvas === canvas) return; // a timeline swap: the chart is unchanged
    if (chart) { chart.destroy(); chart = null; }
    if (!canvas || !source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const bar = (label, values, color) => ({ label, data: values, backgroundColor: color, stack: "results" });
    chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          bar("Successes", data.success, "#198754"),
          bar("Deferrals", data.deferral, "#ffc107"),
          bar("Failures", data.failure, "#dc3545"),
        ],
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
  }

  function showPeriodFields() {
    const preset = document.getElementById("id_preset");
    if (!preset) return;
    document.querySelectorAll("[data-period]").forEach((box) => {
      const hasError = box.querySelector(".is-invalid") !== null;
      box.hidden = box.dataset.period !== preset.value && !hasError;
    });
  }

  function refresh() { drawChart(); showPeriodFields(); }
  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("change", (event) => {
    if (event.target && event.target.id === "id_preset") showPeriodFields();
  });
})();
