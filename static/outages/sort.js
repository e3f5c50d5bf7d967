// Tables marked data-sortable sort by a column when its header is clicked (again: reversed).
// Without scripts they stay plain tables. A cell's data-value, when present, is its sort key.
(function () {
  function key(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
    var number = parseFloat(raw);
    return isNaN(number) || !/^\s*-?[\d.]/.test(raw) ? raw.trim().toLowerCase() : number;
  }

  function compare(a, b) {
    // Numbers before words; empty values (no figure) last either way round.
    if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0;
    return typeof a === "number" ? -1 : 1;
  }

  function sort(table, header, index) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    // First click: figures largest first, names A to Z; each further click reverses.
    var current = header.getAttribute("aria-sort");
    var descending = current
      ? current === "ascending"
      : rows.some(function (row) { return typeof key(row, index) === "number"; });
    rows.sort(function (a, b) {
      var x = key(a, index), y = key(b, index);
      if (x === "" || y === "") return (x === "") - (y === "");
      return descending ? compare(y, x) : compare(x, y);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("thead th").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-sortable]").forEach(function (table) {
      if (!table.tHead || !table.tBodies.length) return;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "sort";
        while (header.firstChild) button.appendChild(header.firstChild);
        header.appendChild(button);
        button.addEventListener("click", function () { sort(table, header, index); });
      });
    });
  });
})();
