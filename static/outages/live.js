// Refreshes the service page in place from its live.json every 20-30 s: the status sentence,
// the last 15 minutes' counts and the chart's last intervals (no reload). Requests carry the
// last ETag, so an unchanged answer is an empty 304. Paused while the tab is hidden.
(function () {
  var PERIOD = 20000;
  var JITTER = 10000;

  function text(selector, value) {
    document.querySelectorAll(selector).forEach(function (element) {
      element.textContent = value;
    });
  }

  var shownSentence = null;

  function applyStatus(live) {
    var status = document.querySelector("[data-status-level]");
    // The sentence is HTML escaped by the server (its times are <time> elements); replaced
    // only when it changes, then announced so that the times can be localised again.
    if (status && shownSentence === null) shownSentence = status.innerHTML;
    if (status && live.sentence !== shownSentence) {
      status.innerHTML = live.sentence;
      status.dispatchEvent(new CustomEvent("outages:updated", { bubbles: true }));
      shownSentence = live.sentence;
    }
    if (status) {
      status.classList.remove("status-" + status.dataset.statusLevel);
      status.classList.add("status-" + live.level);
      status.dataset.statusLevel = String(live.level);
    }
    // Grouped as the page's own numbers are (intcomma), in the page's language.
    var number = new Intl.NumberFormat(document.documentElement.lang || undefined);
    text('[data-live="problems"]', number.format(live.problems));
    text('[data-live="works"]', number.format(live.works));
    text('[data-live="expected"]', number.format(live.expected));
  }

  // The chart draws wall times (chart.js): a wall time string is read back as local time.
  function wall(ms) {
    var d = new Date(ms);
    return new Date(ms - d.getTimezoneOffset() * 60000).toISOString().replace(/Z$/, "");
  }

  // The chart's traces are on an even grid (x0, dx); each named by its uid in series.y.
  // Points already drawn are overwritten, later ones appended and the window slid along.
  function applySeries(chart, series) {
    if (!chart.data || !series.x0 || typeof Plotly === "undefined") return;
    var traces = chart.data.filter(function (trace) { return series.y[trace.uid]; });
    if (!traces.length || traces[0].dx !== series.dx) return;  // another range's grid
    var x0 = Date.parse(traces[0].x0);
    var first = window.outagesWallTime ? Date.parse(window.outagesWallTime(Date.parse(series.x0))) : Date.parse(series.x0);
    var offset = Math.round((first - x0) / series.dx);
    var length = traces[0].y.length;
    var count = series.y[traces[0].uid].length;
    var shift = Math.max(0, offset + count - length);
    var data = chart.data.map(function (trace) {
      var fresh = series.y[trace.uid];
      if (!fresh) return trace;
      var y = trace.y.slice();
      for (var k = 0; k < shift; k++) y.push(null);
      fresh.forEach(function (value, i) {
        if (offset + i >= 0) y[offset + i] = value;
      });
      return Object.assign({}, trace, {
        y: shift ? y.slice(shift) : y,
        x0: wall(x0 + shift * series.dx),
      });
    });
    Plotly.react(chart, data, chart.layout);
  }

  function start(chart) {
    var etag = null;

    function schedule() {
      window.setTimeout(poll, PERIOD + Math.random() * JITTER);
    }

    function poll() {
      if (document.hidden) return schedule();
      var headers = etag ? { "If-None-Match": etag } : {};
      fetch(chart.dataset.liveUrl, { headers: headers, cache: "no-store", credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 304 || !response.ok) return null;  // unchanged, or try later
          etag = response.headers.get("ETag");
          return response.json();
        })
        .then(function (live) {
          if (!live) return;
          applyStatus(live);
          applySeries(chart, live.series);
        })
        .catch(function () { /* offline or a bad answer: the next poll tries again */ })
        .then(schedule);
    }

    schedule();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-url]").forEach(start);
  });
})();
