// Pages write times in UTC: <time datetime="ISO" data-utc="time|datetime">14:05 UTC</time>.
// This shows them in the reader's time zone (UTC stays in the tooltip) and wires the header's
// "Show UTC" toggle, remembered in localStorage. No dependencies; times without a valid
// datetime attribute are left as they are.
(function () {
  var KEY = "outages:utc";

  function format(kind, date) {
    var options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" };
    if (kind === "datetime") {
      options.day = "numeric";
      options.month = "short";
      if (date.getFullYear() !== new Date().getFullYear()) { options.year = "numeric"; }
    }
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, options).format(date);
    } catch (e) {
      return date.toLocaleString();
    }
  }

  var showUtc = (function () {
    try { return window.localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  })();

  // Rewrites every <time data-utc> under `scope` (the document by default); other scripts that
  // insert such elements may call window.outagesLocaliseTimes(element) afterwards.
  function localise(scope) {
    var utc = showUtc;
    (scope || document).querySelectorAll("time[data-utc]").forEach(function (element) {
      var date = new Date(element.getAttribute("datetime"));
      if (isNaN(date.getTime())) { return; }
      if (!element.hasAttribute("data-utc-text")) {
        element.setAttribute("data-utc-text", element.textContent);
      }
      var inUtc = element.getAttribute("data-utc-text");
      var local = format(element.getAttribute("data-utc"), date);
      element.textContent = utc ? inUtc : local;
      element.title = utc ? local : inUtc;
    });
  }
  window.outagesLocaliseTimes = localise;

  document.addEventListener("DOMContentLoaded", function () {
    localise();
    var button = document.getElementById("utc-toggle");
    if (!button) { return; }
    button.setAttribute("aria-pressed", String(showUtc));
    button.addEventListener("click", function () {
      showUtc = !showUtc;
      try { window.localStorage.setItem(KEY, showUtc ? "1" : "0"); } catch (e) { /* page only */ }
      button.setAttribute("aria-pressed", String(showUtc));
      localise();
    });
    button.hidden = false;
  });
})();
