// i13-duty: places are chosen, not typed. A <select data-search="…"> gets a search box
// above it: typing part of a name (or code) keeps only the matching choices and selects
// the first one. Without JavaScript the plain select still works.
(function () {
  "use strict";
  document.querySelectorAll("select[data-search]").forEach(function (select) {
    var box = document.createElement("input");
    box.type = "search";
    box.id = select.id + "-search";
    box.autocomplete = "off";
    box.setAttribute("aria-label", select.getAttribute("data-search"));
    box.placeholder = select.getAttribute("data-search");
    box.setAttribute("data-testid", "picker-search");
    select.parentNode.insertBefore(box, select);
    var options = Array.prototype.slice.call(select.options);
    box.addEventListener("input", function () {
      var term = box.value.trim().toLowerCase();
      var first = null;
      options.forEach(function (option) {
        var hit = !option.value || !term || option.text.toLowerCase().indexOf(term) >= 0;
        option.hidden = !hit;
        if (hit && option.value && first === null) first = option;
      });
      // A single choice follows the search; a multiple one keeps what was picked.
      if (term && first && !select.multiple) select.value = first.value;
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
  });
})();
