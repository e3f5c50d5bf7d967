// The moderation pages' live counts (no inline script: CSP allows only this site's files).
// Every few seconds the menu asks /moderation/counts.json, writes each count where a
// [data-count] element names it, and when one grew shows the "New items arrived" notice.
(function () {
  "use strict";
  const menu = document.querySelector("nav[data-counts-url]");
  if (!menu) return;
  const notice = document.getElementById("new-items");
  const seconds = Math.max(5, Number(menu.dataset.pollSeconds) || 20);
  let seen = null;

  function labelOf(name) {
    const labelled = document.querySelector(`[data-count="${name}"][data-label]`);
    return labelled ? labelled.dataset.label : name;
  }

  function show(counts) {
    document.querySelectorAll("[data-count]").forEach((el) => {
      const value = counts[el.dataset.count];
      if (value !== undefined) el.textContent = String(value);
    });
    if (seen) {
      const grown = Object.keys(counts).filter((name) => counts[name] > (seen[name] || 0));
      if (grown.length && notice) {
        const words = grown.map((name) => `+${counts[name] - (seen[name] || 0)} ${labelOf(name)}`);
        notice.querySelector("span").textContent = `${notice.dataset.text} ${words.join(", ")}`;
        notice.hidden = false;
      }
    }
    seen = Object.assign({}, seen || {}, counts);
  }

  function baseline() {
    // The counts the page was drawn with, so that what arrives before the first poll counts.
    const drawn = {};
    document.querySelectorAll("[data-count]").forEach((el) => {
      const n = parseInt(el.textContent, 10);
      if (!Number.isNaN(n)) drawn[el.dataset.count] = n;
    });
    return Object.keys(drawn).length ? drawn : null;
  }

  function poll() {
    // A signed-out session is redirected to the login page: not followed (its page would
    // set a new CSRF cookie under a login form open in another tab).
    fetch(menu.dataset.countsUrl, {
      credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((counts) => {
        if (counts) show(counts);
        menu.dataset.polled = String((Number(menu.dataset.polled) || 0) + 1);
      })
      .catch(() => {});
  }

  seen = baseline();
  poll();
  window.setInterval(poll, seconds * 1000);
  window.addEventListener("focus", poll);  // back to the tab: fresh counts at once

  // Select-all boxes: a header box that checks or clears every box it names.
  document.querySelectorAll("input[data-select-all]").forEach((all) => {
    const boxes = () => Array.from(document.querySelectorAll(all.dataset.selectAll));
    all.hidden = false;
    all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
  });
})();
