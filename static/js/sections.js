/* The boxes of a page of sections (templates/sections/): marks on boxes with unsaved edits and a
   warning before leaving them, focus after a save (the first bad field, or the notice; never taken
   from where the admin went on typing), and the echo of sizes and durations typed with units
   ("10 MB" -> "= 10 MiB"). */
(function () {
  "use strict";
  let leavingBySave = false;

  function selectChanged(select) {
    const options = Array.from(select.options);
    const byDefault = options.some((o) => o.defaultSelected)
      ? options.map((o) => o.defaultSelected)
      : options.map((o, i) => i === 0 && !select.multiple);
    return options.some((o, i) => o.selected !== byDefault[i]);
  }

  function fieldChanged(el) {
    if (!el.name || el.disabled || el.type === "hidden" || el.type === "submit") return false;
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.tagName === "SELECT") return selectChanged(el);
    return "defaultValue" in el && el.value !== el.defaultValue;
  }

  function isDirty(card) {
    if (card.dataset.unsaved === "true") return true; // a save failed: what was typed is not on the server
    const form = card.querySelector("form.section-form");
    return Boolean(form) && Array.from(form.elements).some(fieldChanged);
  }

  function mark(card) {
    const dirty = isDirty(card);
    card.classList.toggle("has-unsaved", dirty);
    card.querySelectorAll(".card-header .unsaved-mark").forEach((el) => { el.hidden = !dirty; });
    document.querySelectorAll(`[data-jump="${card.dataset.section}"] .unsaved-mark`).forEach((el) => {
      el.hidden = !dirty;
    });
  }

  function dirtyCards() {
    return Array.from(document.querySelectorAll("[data-section]")).filter(isDirty);
  }

  /* The same rules as mailserver/core/sections/units.py: the server's echo is the reference. */
  const STEPS = {
    bytes: [[1024 ** 3, "GiB", "GiB"], [1024 ** 2, "MiB", "MiB"], [1024, "KiB", "KiB"], [1, "byte", "bytes"]],
    seconds: [[86400, "day", "days"], [3600, "hour", "hours"], [60, "minute", "minutes"], [1, "second", "seconds"]],
  };

  function amount(text, factors) {
    const match = /^\s*([0-9]{1,15}(?:\.[0-9]{1,6})?)\s*([A-Za-z]{0,7})\s*$/.exec(text);
    if (!match) return null;
    const factor = match[2] ? factors[match[2].toLowerCase()] : 1;
    if (!factor) return null;
    const number = Number(match[1]) * factor;
    return Number.isSafeInteger(number) ? number : null;
  }

  function describe(number, unit) {
    if (!number) return "";
    const steps = STEPS[unit];
    if (unit === "bytes") {
      for (const [size, name] of steps) {
        if (number < size) continue;
        if (number % size === 0) {
          const label = size > 1 ? name : (number === 1 ? "byte" : "bytes");
          return `= ${number / size} ${label}`;
        }
        return `≈ ${(number / size).toFixed(2)} ${name} (${number} bytes)`;
      }
    }
    const parts = [];
    let rest = number;
    for (const [size, singular, plural] of steps) {
      const count = Math.floor(rest / size);
      rest -= count * size;
      if (count) parts.push(`${count} ${count === 1 ? singular : plural}`);
    }
    return "= " + parts.join(" ");
  }

  function echo(input) {
    const out = document.getElementById(`${input.id}_echo`);
    if (!out) return;
    const number = amount(input.value, JSON.parse(input.dataset.unitFactors || "{}"));
    out.textContent = number === null ? "" : describe(number, input.dataset.unit);
  }

  function edited(event) {
    const card = event.target.closest("[data-section]");
    if (card) mark(card);
    if (event.target.matches("input[data-unit]")) echo(event.target);
  }

  /* A save's answer may come while the admin already types elsewhere (another box, the route
     tester): htmx runs its load handlers a settle delay after the swap, and taking the focus then
     would send the rest of their typing into this box. Focus moves only if it was left behind:
     the Save button went with the swap (the body has it) or it is still within this box. */
  function focusIsOurs(card) {
    const active = document.activeElement;
    return !active || active === document.body || card.contains(active);
  }

  function focusAfterSave(card) {
    const form = card.querySelector("form.section-form");
    if (form && form.querySelector("[data-testid^='save-status-']")) {
      // Within the form: a service card above it may hold an alert of its own.
      const first = form.querySelector(".is-invalid, .alert-danger, .alert-block");
      if (first) {
        if (!first.matches("input, select, textarea")) first.setAttribute("tabindex", "-1");
        first.focus();
        return;
      }
    }
    const notice = card.querySelector("[data-testid='notice']");
    if (notice) notice.focus();
  }

  document.addEventListener("input", edited);
  document.addEventListener("change", edited);
  document.addEventListener("submit", (event) => {
    // A save without htmx leaves the page on purpose; htmx cancels the browser's own submit.
    if (!event.defaultPrevented && event.target.closest("[data-section]")) leavingBySave = true;
  });
  window.addEventListener("beforeunload", (event) => {
    if (leavingBySave || dirtyCards().length === 0) return;
    event.preventDefault();
    event.returnValue = "";
  });

  function loaded(element) {
    if (element.matches && element.matches("[data-section]")) {
      mark(element);
      if (focusIsOurs(element)) focusAfterSave(element);
    } else if (element.matches && element.matches("[data-testid='agent-error']") && element.closest("[data-section]")) {
      // The save did not reach the server: the alert says so, the input stays.
      if (focusIsOurs(element.closest("[data-section]"))) element.focus();
    } else {
      document.querySelectorAll("[data-section]").forEach(mark);
    }
  }

  if (window.htmx) {
    window.htmx.onLoad(loaded);
  } else {
    document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("[data-section]").forEach(mark));
  }
})();
