// Keyboard shortcuts of the comment queue (no inline script: CSP-friendly).
// j/k move between comments, x selects the current one, a/r/d approve, reject or delete the
// selected comments (or, when none is selected, the current one; a deletion asks on the
// next page). The buttons do the same without JavaScript.
(function () {
  "use strict";
  const form = document.getElementById("queue-form");
  if (!form) return;
  const rows = Array.from(form.querySelectorAll("tr[data-comment]"));
  let current = -1;

  function mark(index) {
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => {
      row.classList.toggle("current", i === current);
      if (i === current) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    });
  }

  function moveTo(index) {
    if (!rows.length) return;
    mark(index);
    rows[current].focus();
  }

  function box(row) {
    return row.querySelector("input[name=ids]");
  }

  function act(action) {
    if (!form.querySelector("input[name=ids]:checked")) {
      if (current < 0) return;
      box(rows[current]).checked = true;
    }
    form.requestSubmit(form.querySelector(`button[name=action][value=${action}]`));
  }

  // Clicking or tabbing into a row makes it the current one.
  rows.forEach((row, i) => row.addEventListener("focusin", () => mark(i)));

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    if (target.closest && target.closest("textarea, select, [contenteditable], input:not([type=checkbox])")) return;
    switch (event.key) {
      case "j": moveTo(current + 1); break;
      case "k": moveTo(current - 1); break;
      case "x": if (current >= 0) { const b = box(rows[current]); b.checked = !b.checked; } break;
      case "a": act("approve"); break;
      case "r": act("reject"); break;
      case "d": act("delete"); break;
      default: return;
    }
    event.preventDefault();
  });
  form.dataset.shortcuts = "ready";
})();
