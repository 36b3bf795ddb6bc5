// Long tables drawn on one page (a response's fulfilment, an event's reports, the demand's
// versions): a click on a column head sorts by it (again: the other way), and a search box
// (`<input data-filter-table="ID">`) hides the rows that do not contain what is typed.
// Numbers sort as numbers ("1,200 条" after "800 条"), text in Chinese collation.
// Without JavaScript the table is as the server drew it.
(function () {
  "use strict";
  var collator = new Intl.Collator(["zh-CN", "en"], { numeric: true, sensitivity: "base" });

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    return (cell.getAttribute("data-sort") || cell.textContent || "").trim();
  }

  function asNumber(text) {
    var match = text.replace(/[,，\s]/g, "").match(/^-?\d+(\.\d+)?/);
    return match ? parseFloat(match[0]) : null;
  }

  function sortBy(table, index, heads) {
    var body = table.tBodies[0];
    if (!body) return;
    var head = heads[index];
    var descending = head.getAttribute("aria-sort") === "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = rows.every(function (row) {
      var text = cellValue(row, index);
      return text === "" || asNumber(text) !== null;
    });
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      var order = numeric ? (asNumber(x) || 0) - (asNumber(y) || 0) : collator.compare(x, y);
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    heads.forEach(function (th) { th.setAttribute("aria-sort", "none"); });
    head.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function sortable(table) {
    if (!table.tHead || !table.tHead.rows.length) return;
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    heads.forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "th-sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () { sortBy(table, index, heads); });
    });
  }

  function filter(input) {
    var table = document.getElementById(input.getAttribute("data-filter-table"));
    if (!table || !table.tBodies[0]) return;
    var count = document.getElementById(input.getAttribute("data-filter-count") || "");
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var keep = !wanted || row.textContent.toLowerCase().indexOf(wanted) !== -1;
        row.hidden = !keep;
        if (keep) shown += 1;
      });
      if (count) count.textContent = String(shown);
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), sortable);
    Array.prototype.forEach.call(document.querySelectorAll("input[data-filter-table]"), filter);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
