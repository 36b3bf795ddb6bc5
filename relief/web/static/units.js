// i13-disp: the unit of the item chosen in a line is shown next to its quantity. A
// <span data-unit-of="ID"> follows the <select id="ID">'s chosen option's data-unit. The
// server draws the unit of an already chosen item, so without JavaScript only a newly
// chosen item's unit is missing (its option's text names it too).
(function () {
  "use strict";
  document.querySelectorAll("span[data-unit-of]").forEach(function (span) {
    var select = document.getElementById(span.getAttribute("data-unit-of"));
    if (!select) return;
    var show = function () {
      var option = select.options[select.selectedIndex];
      span.textContent = (option && option.getAttribute("data-unit")) || "";
    };
    select.addEventListener("change", show);
    // The picker's search box selects an option without a change event.
    select.addEventListener("input", show);
    var box = document.getElementById(select.id + "-search");
    if (box) box.addEventListener("input", show);
  });
})();
