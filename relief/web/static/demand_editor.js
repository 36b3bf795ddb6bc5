// i13-duty: the demand editor. A filter box hides rows whose region or item does not match;
// on submit, rows whose values did not change are left out (their inputs disabled) and
// `partial` tells the server to merge the sent rows into the current demand. An error
// summary at the top of the form takes focus, so a long list never hides its errors.
(function () {
  "use strict";
  var form = document.querySelector('[data-testid="demand-form"]');
  if (!form) return;
  var summary = document.getElementById("dm-summary");
  if (summary) {
    var details = form.closest("details");
    if (details) details.open = true;
    summary.focus();
    summary.scrollIntoView({block: "start"});
  }
  var filter = document.getElementById("dm-filter");
  var rows = Array.prototype.slice.call(form.querySelectorAll("tr[data-demand-row]"));
  var heads = Array.prototype.slice.call(form.querySelectorAll("tr[data-region-head]"));
  if (filter) {
    filter.addEventListener("input", function () {
      var term = filter.value.trim().toLowerCase();
      var shown = {};
      rows.forEach(function (row) {
        var hit = !term || row.getAttribute("data-search").toLowerCase().indexOf(term) >= 0;
        row.hidden = !hit;
        if (hit) shown[row.getAttribute("data-region")] = true;
      });
      heads.forEach(function (head) {
        head.hidden = !shown[head.getAttribute("data-region-head")];
      });
    });
    // Enter in the filter box filters; it does not send the form.
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
  }
  form.addEventListener("submit", function () {
    form.querySelector('input[name="partial"]').value = "1";
    rows.forEach(function (row) {
      // A line in force sends its codes hidden; a new line chooses them (a select).
      var value = function (name) {
        var field = row.querySelector('[name="' + name + '"]');
        return field ? field.value.trim() : "";
      };
      var key = value("key");
      var same = key !== "" && key === value("region_code") + "|" + value("item_code") &&
        value("quantity") === value("orig_quantity") && value("priority") === value("orig_priority");
      var blankNew = key === "" && !value("region_code") && !value("item_code") && !value("quantity");
      if (same || blankNew) {
        row.querySelectorAll("input, select").forEach(function (input) { input.disabled = true; });
      }
    });
  });
})();
