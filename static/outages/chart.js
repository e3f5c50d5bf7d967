// Draws every element with data-figure from the JSON figure embedded in the page (no inline JS).
// A figure may carry a `config` (e.g. the map's topojsonURL, so geo data is fetched from us).
// Times arrive in UTC and are drawn in the reader's zone (or UTC with the header's toggle),
// month and day names in the page's language; colours follow the page's light or dark theme.
(function () {
  var lang = document.documentElement.lang || "en";

  // Plotly's date words in the page's language, from the browser's own Intl data.
  function registerLocale() {
    if (typeof Plotly === "undefined" || !window.Intl) return null;
    function names(option, count, make) {
      var format = new Intl.DateTimeFormat(lang, option);
      var out = [];
      for (var i = 0; i < count; i++) out.push(format.format(make(i)).replace(/\.$/, ""));
      return out;
    }
    var month = function (i) { return new Date(Date.UTC(2024, i, 15, 12)); };
    var day = function (i) { return new Date(Date.UTC(2024, 0, 7 + i, 12)); };  // a Sunday first
    // A date's pattern in the page's language, from Intl's own order and words:
    // "%b %-d" in English, "%-d %b" in French, "%-d. %b" in German, "%-m月%-d日" in Japanese.
    var pattern = function (option) {
      var parts = new Intl.DateTimeFormat(lang, Object.assign({ timeZone: "UTC" }, option))
        .formatToParts(new Date(Date.UTC(2024, 11, 6, 12)));
      return parts.map(function (p) {
        if (p.type === "month") return /^\d+$/.test(p.value) ? "%-m" : "%b";  // ja: 12月6日
        if (p.type === "day") return "%-d";
        if (p.type === "year") return "%Y";
        return p.value.replace(/%/g, "%%");
      }).join("");
    };
    var numbers = new Intl.NumberFormat(lang).formatToParts(12345.6);
    var part = function (type, fallback) {
      var found = numbers.find(function (p) { return p.type === type; });
      return found ? found.value : fallback;
    };
    Plotly.register({
      moduleType: "locale", name: lang, dictionary: {},
      format: {
        months: names({ month: "long", timeZone: "UTC" }, 12, month),
        shortMonths: names({ month: "short", timeZone: "UTC" }, 12, month),
        days: names({ weekday: "long", timeZone: "UTC" }, 7, day),
        shortDays: names({ weekday: "short", timeZone: "UTC" }, 7, day),
        periods: ["AM", "PM"], dateTime: "%x %X", date: "%x", time: "%H:%M:%S",
        decimal: part("decimal", "."), thousands: part("group", ","), grouping: [3],
        currency: ["", ""],
        // Plotly's own date tick formats, which put the month first as English does.
        year: "%Y", month: pattern({ month: "short", year: "numeric" }),
        dayMonth: pattern({ month: "short", day: "numeric" }),
        dayMonthYear: pattern({ month: "short", day: "numeric", year: "numeric" }),
      },
    });
    return lang;
  }

  function showsUtc() {
    try { return window.localStorage.getItem("outages:utc") === "1"; } catch (e) { return false; }
  }

  // An ISO time with an offset, as the wall time Plotly draws: the reader's zone or UTC.
  function wallTime(value) {
    if (typeof value !== "string" || !/^\d{4}-\d\d-\d\dT.*([+-]\d\d:\d\d|Z)$/.test(value)) return value;
    return window.outagesWallTime(Date.parse(value));
  }
  window.outagesWallTime = function (ms) {
    var d = new Date(ms);
    if (!showsUtc()) d = new Date(ms - d.getTimezoneOffset() * 60000);
    return d.toISOString().replace(/Z$/, "");
  };

  function localTimes(figure) {
    figure.data.forEach(function (trace) {
      if (trace.x0) trace.x0 = wallTime(trace.x0);
      if (trace.x) trace.x = trace.x.map(wallTime);
    });
    (figure.layout.shapes || []).forEach(function (shape) {
      shape.x0 = wallTime(shape.x0); shape.x1 = wallTime(shape.x1);
    });
    (figure.layout.annotations || []).forEach(function (note) { note.x = wallTime(note.x); });
  }

  // The page's colours (site.css variables) for Plotly: paper, text, grid and the map's land.
  function theme() {
    var style = getComputedStyle(document.documentElement);
    var v = function (name) { return style.getPropertyValue(name).trim(); };
    return { surface: v("--surface"), text: v("--text"), border: v("--border"), muted: v("--muted"), bg: v("--bg") };
  }
  function themed(layout) {
    var t = theme();
    var axis = { gridcolor: t.border, linecolor: t.border, zerolinecolor: t.border, tickfont: { color: t.text } };
    var update = {
      paper_bgcolor: t.surface, plot_bgcolor: t.surface, font: { color: t.text },
      "xaxis.gridcolor": axis.gridcolor, "xaxis.linecolor": axis.linecolor,
      "yaxis.gridcolor": axis.gridcolor, "yaxis.linecolor": axis.linecolor,
      "yaxis.zerolinecolor": axis.zerolinecolor, "legend.font.color": t.text,
      "hoverlabel.bgcolor": t.surface, "hoverlabel.font.color": t.text,
    };
    if (layout.geo) {
      update["geo.bgcolor"] = t.surface;
      update["geo.landcolor"] = t.bg;
      update["geo.countrycolor"] = t.border;
    }
    return update;
  }

  function draw(element, locale) {
    var figure = JSON.parse(document.getElementById(element.dataset.figure).textContent);
    localTimes(figure);
    // Plotly never wraps a title: on a phone a long one is left to the page's own heading.
    var title = figure.layout.title;
    if (title && title.text && title.text.length * 7.5 > element.clientWidth) {
      title.text = "";
      figure.layout.margin = Object.assign({}, figure.layout.margin, { t: 16 });
    }
    var config = Object.assign({ responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d", "sendChartToCloud"] }, figure.config || {});
    if (locale) config.locale = locale;
    merge(figure.layout, expand(themed(figure.layout)));
    Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      untabbable(element);
    });
  }

  // Plotly's tool bar stays for the mouse; the keyboard goes on to the table under the chart.
  function untabbable(element) {
    element.querySelectorAll(".modebar-btn").forEach(function (b) { b.setAttribute("tabindex", "-1"); });
  }

  function merge(target, extra) {
    Object.keys(extra).forEach(function (key) {
      var value = extra[key];
      if (value && typeof value === "object" && target[key] && typeof target[key] === "object") merge(target[key], value);
      else target[key] = value;
    });
  }

  // {"a.b": 1} -> {a: {b: 1}}, merged into the figure's layout before the first draw.
  function expand(flat) {
    var out = {};
    Object.keys(flat).forEach(function (key) {
      var parts = key.split("."), node = out;
      parts.slice(0, -1).forEach(function (p) { node = node[p] = node[p] || {}; });
      node[parts[parts.length - 1]] = flat[key];
    });
    return out;
  }

  function retheme() {
    document.querySelectorAll("[data-figure]").forEach(function (element) {
      if (element.layout) Plotly.relayout(element, themed(element.layout)).then(function () { untabbable(element); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Plotly === "undefined") return;
    var locale = registerLocale();
    document.querySelectorAll("[data-figure]").forEach(function (element) { draw(element, locale); });
    new MutationObserver(retheme).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    var system = window.matchMedia("(prefers-color-scheme: dark)");
    if (system.addEventListener) system.addEventListener("change", retheme);
  });
})();
