// The colour theme: the system's (prefers-color-scheme) unless the reader picked the other one
// with the header's toggle; the pick is kept in localStorage (no cookie). Loaded in <head>, not
// deferred, so a remembered theme applies before the first paint.
(function () {
  var KEY = "outages:theme";
  var root = document.documentElement;
  var system = window.matchMedia("(prefers-color-scheme: dark)");

  function remembered() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function remember(theme) {
    try {
      if (theme) { window.localStorage.setItem(KEY, theme); } else { window.localStorage.removeItem(KEY); }
    } catch (e) { /* storage off: the choice lasts for this page only */ }
  }
  function apply(theme) {
    if (theme === "dark" || theme === "light") { root.setAttribute("data-theme", theme); }
    else { root.removeAttribute("data-theme"); }
  }
  function isDark() {
    var theme = root.getAttribute("data-theme");
    return theme ? theme === "dark" : system.matches;
  }

  apply(remembered());

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) { return; }
    function show() { button.setAttribute("aria-pressed", String(isDark())); }
    button.addEventListener("click", function () {
      var dark = !isDark();
      // Picking what the system already says means "follow the system" again.
      var theme = dark === system.matches ? null : (dark ? "dark" : "light");
      apply(theme || (dark ? "dark" : "light"));
      remember(theme);
      show();
    });
    if (system.addEventListener) { system.addEventListener("change", show); }
    show();
    button.hidden = false;
  });
})();
