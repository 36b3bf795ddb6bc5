// Every form's error summary (templates/_forms.html `error_summary`): when a refused form
// comes back, the summary at its top takes focus, so a long page never hides its errors.
(() => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
})();
// A create-style form's one-time token (relief/web/forms.py). Pages are no-store, so Back
// fetches the form again with a new token; the token this tab last sent from the same form
// is put back then (only on a Back/Forward visit, never on a fresh one), so that the form
// sent again is known as the one already sent and nothing is registered twice.
(() => {
  const visit = performance.getEntriesByType("navigation")[0];
  const back = visit && visit.type === "back_forward";
  const seen = {};
  document.querySelectorAll("form").forEach((form) => {
    const input = form.querySelector("input[name=form_token]");
    if (!input) return;
    const action = form.getAttribute("action") || "";
    seen[action] = (seen[action] || 0) + 1;
    const key = `relief.form_token:${location.pathname}:${action}:${seen[action]}`;
    try {
      const sent = back ? sessionStorage.getItem(key) : null;
      if (sent) input.value = sent;
      form.addEventListener("submit", (event) => {
        if (!event.defaultPrevented) sessionStorage.setItem(key, input.value);
      });
    } catch (error) {
      // No session storage (a private mode): the token of this render is used.
    }
  });
})();
