// Draws every element with data-figure from the JSON figure embedded in the page (no inline JS).
// A figure may carry a `config` (e.g. the map's topojsonURL, so geo data is fetched from us).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var figure = JSON.parse(document.getElementById(element.dataset.figure).textContent);
    var config = Object.assign({ responsive: true, displaylogo: false }, figure.config || {});
    Plotly.newPlot(element, figure.data, figure.layout, config);
  });
});
