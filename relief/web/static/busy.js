// Shows that a slow form is being worked on (an import uploads and checks every row before
// the page answers): once a form with data-busy="<message>" is really sent, its submit
// buttons are disabled and read the message, the form is marked aria-busy and the message
// is announced. Generic: any form may opt in with the attribute. Without JavaScript the
// form works the same; nothing on the server depends on this.
(() => {
  const LIVE_ID = "busy-status";

  function announce(form, message) {
    let live = form.querySelector("#" + LIVE_ID);
    if (!live) {
      live = document.createElement("p");
      live.id = LIVE_ID;
      live.className = "muted busy-status";
      live.setAttribute("role", "status");
      live.setAttribute("aria-live", "polite");
      form.appendChild(live);
    }
    live.textContent = message;
  }

  function markBusy(form, message) {
    form.setAttribute("aria-busy", "true");
    for (const button of form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]')) {
      if (!button.dataset.idleText) {
        button.dataset.idleText = button.tagName === "INPUT" ? button.value : button.textContent;
      }
      if (button.tagName === "INPUT") {
        button.value = message;
      } else {
        button.textContent = message;
      }
      button.disabled = true;
    }
    announce(form, message);
  }

  function markIdle(form) {
    form.removeAttribute("aria-busy");
    for (const button of form.querySelectorAll("[data-idle-text]")) {
      if (button.tagName === "INPUT") {
        button.value = button.dataset.idleText;
      } else {
        button.textContent = button.dataset.idleText;
      }
      delete button.dataset.idleText;
      button.disabled = false;
    }
    const live = form.querySelector("#" + LIVE_ID);
    if (live) {
      live.remove();
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    const message = form.getAttribute && form.getAttribute("data-busy");
    if (!message) {
      return;
    }
    // After every other submit listener (confirm.js may cancel) and after the browser has
    // read the form: a disabled button would otherwise drop its name and value.
    window.setTimeout(() => {
      if (!event.defaultPrevented) {
        markBusy(form, message);
      }
    }, 0);
  });

  // Back to the page from the browser's history: the form is usable again.
  window.addEventListener("pageshow", () => {
    for (const form of document.querySelectorAll("form[data-busy][aria-busy]")) {
      markIdle(form);
    }
  });
})();
