// The duty officer's forms: a confirmation before irreversible actions, the override
// reason shown (and required) only when the chosen level is higher than recommended, and
// a busy state on a form that starts a long computation (the solver) until the page answers.
// Without JavaScript every field stays visible and the server applies the same rules;
// the page's Content-Security-Policy forbids inline handlers, hence this file.
(function () {
  "use strict";

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // A form with [data-busy]: once sent (and not cancelled by a confirmation), its button is
  // disabled and says the data-busy text, so nobody sends it twice while the solver runs.
  // Registered after the confirmation above, so a declined confirmation is seen here.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    var button = form.querySelector("button[type=submit]");
    var status = form.querySelector("[data-busy-status]");
    var label = button ? button.textContent : "";
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) {
        return;
      }
      form.setAttribute("aria-busy", "true");
      if (button) {
        button.disabled = true;
        button.textContent = form.getAttribute("data-busy");
      }
      if (status) {
        status.textContent = form.getAttribute("data-busy");
      }
    });
    // Back to the page from the browser's cache: ready again.
    window.addEventListener("pageshow", function () {
      form.removeAttribute("aria-busy");
      if (button) {
        button.disabled = false;
        button.textContent = label;
      }
      if (status) {
        status.textContent = "";
      }
    });
  });

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
})();
