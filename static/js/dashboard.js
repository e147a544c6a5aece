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

  const HOUR = 3600 * 1000;

  // Each point at its own time on an axis of the last day: hours without samples stay hours wide
  // (a category axis squeezed them into one step), and a lone sample is a dot at the right end.
  function series(data, key) {
    return data.x.map((x, i) => ({ x, y: data[key][i] }));
  }

  function clock(zone, withDate, withSeconds) {
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone };
    if (withDate) Object.assign(options, { month: "short", day: "numeric" });
    if (withSeconds) options.second = "2-digit";
    try {
      return new Intl.DateTimeFormat(undefined, options);
    } catch (error) { // a zone this browser does not know: its own
      delete options.timeZone;
      return new Intl.DateTimeFormat(undefined, options);
    }
  }

  function axis(data) {
    const time = clock(data.time_zone, false);
    return {
      type: "linear",
      min: data.start,
      max: data.end,
      // A tick every three hours, on the hour: not at the odd minute the day began.
      afterBuildTicks: (scale) => {
        const ticks = [];
        for (let at = Math.ceil(data.start / (3 * HOUR)) * 3 * HOUR; at <= data.end; at += 3 * HOUR) {
          ticks.push({ value: at });
        }
        scale.ticks = ticks;
      },
      ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 8, callback: (value) => time.format(value) },
    };
  }

  function draw() {
    const canvas = document.getElementById("queue-trend");
    const source = document.getElementById("queue-trend-data");
    if (!canvas || !source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const radius = data.x.length < 3 ? 3 : 0; // a lone point stays visible
    if (chart && chart.canvas === canvas) {
      SERIES.forEach(([key], i) => {
        chart.data.datasets[i].data = series(data, key);
        chart.data.datasets[i].pointRadius = radius;
      });
      chart.options.scales.x = axis(data);
      chart.update("none");
    } else {
      if (chart) chart.destroy();
      const when = clock(data.time_zone, true);
      chart = new Chart(canvas, {
        type: "line",
        data: {
          datasets: SERIES.map(([key, label, color]) => ({
            label, data: series(data, key), borderColor: color, backgroundColor: color,
            pointRadius: radius, borderWidth: 2, tension: 0.2,
            // Where no sample was taken for a while the line goes on dashed: not known meanwhile.
            segment: { borderDash: (ctx) => (ctx.p1.parsed.x - ctx.p0.parsed.x > data.gap ? [4, 4] : undefined) },
          })),
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          parsing: false,
          interaction: { mode: "index", intersect: false },
          plugins: { tooltip: { callbacks: { title: (items) => (items.length ? when.format(items[0].parsed.x) : "") } } },
          scales: {
            x: axis(data),
            y: { beginAtZero: true, ticks: { precision: 0 } },
          },
        },
      });
    }
    canvas.dataset.points = String(data.x.length);
  }

  function isLive(event) {
    const target = event.detail && event.detail.target;
    return Boolean(target && target.id === "dashboard-live");
  }

  function noteRefresh(failed) {
    const note = document.getElementById("refresh-note");
    if (!note) return;
    if (!note.dataset.usual) note.dataset.usual = note.textContent;
    // In the panel's time zone, as "counted at" beside it, not the browser's own.
    const source = document.getElementById("queue-trend-data");
    const zone = source ? JSON.parse(source.textContent).time_zone : undefined;
    const at = `${clock(zone, false, true).format(new Date())} ${zone || ""}`.trim();
    note.textContent = failed ? `Could not refresh at ${at}: the panel did not answer; trying again.` : note.dataset.usual;
    note.classList.toggle("text-danger", failed);
    note.classList.toggle("text-muted", !failed);
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", (event) => {
    draw();
    if (isLive(event)) noteRefresh(false);
  });
  document.addEventListener("htmx:responseError", (event) => { if (isLive(event)) noteRefresh(true); });
  document.addEventListener("htmx:sendError", (event) => { if (isLive(event)) noteRefresh(true); });
})();
