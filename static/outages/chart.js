// Draws every element with data-figure from the JSON figure embedded in the page (no inline JS).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-figure]").forEach(function (element) {
    var figure = JSON.parse(document.getElementById(element.dataset.figure).textContent);
    Plotly.newPlot(element, figure.data, figure.layout, { responsive: true, displaylogo: false });
  });
});
