// The duty officer's forms: the override reason shown (and required) only when the chosen
// level is higher than recommended. (Confirmations and the busy state of the planning form
// are confirm.js and busy.js, on every page.)
// Without JavaScript every field stays visible and the server applies the same rules;
// the page's Content-Security-Policy forbids inline handlers, hence this file.
(function () {
  "use strict";

  // A form with [data-recommended] ("" when nothing is recommended) has a level select,
  // maybe an action select, and a [data-override] field wrapper with its input.
  document.querySelectorAll("form[data-recommended]").forEach(function (form) {
    var level = form.querySelector("select[name=level]");
    var action = form.querySelector("select[name=action]");
    var wrapper = form.querySelector("[data-override]");
    if (!level || !wrapper) {
      return;
    }
    var input = wrapper.querySelector("textarea, input");
    var recommended = form.getAttribute("data-recommended");
    function update() {
      var chosen = Number(level.value);
      // An override concerns triggering and escalating; downgrading or ending never needs one.
      var raising = !action || action.value === "escalate";
      var needed = raising && level.value !== "" &&
        (recommended === "" || chosen < Number(recommended));
      wrapper.hidden = !needed && input.value === "" && !wrapper.classList.contains("invalid");
      input.required = needed;
      if (action) {
        level.disabled = action.value === "end";
      }
    }
    level.addEventListener("change", update);
    if (action) {
      action.addEventListener("change", update);
    }
    update();
  });

  // The report form: a 其中 ([data-part-of=TOTAL]) may not exceed its total; the browser
  // says so before the form is sent (the server checks every rule again).
  document.querySelectorAll("form[data-part-template]").forEach(function (form) {
    var template = form.getAttribute("data-part-template");
    var parts = form.querySelectorAll("input[data-part-of]");
    function check() {
      parts.forEach(function (part) {
        var whole = form.querySelector("input[name=" + part.getAttribute("data-part-of") + "]");
        var message = "";
        if (whole && part.value !== "" && whole.value !== "" &&
            Number(part.value) > Number(whole.value)) {
          var label = form.querySelector("label[for=" + whole.id + "]");
          message = template.replace("{whole}", label ? label.textContent.trim() : whole.name);
        }
        part.setCustomValidity(message);
      });
    }
    form.addEventListener("input", check);
    // The browser refuses to send the form and points at the first bad input: open its
    // folded group first so that it can be seen.
    parts.forEach(function (part) {
      part.addEventListener("invalid", function () {
        var box = part.closest("details");
        if (box) {
          box.open = true;
        }
      });
    });
    check();
  });
})();
