// Every form's error summary (templates/_forms.html `error_summary`): when a refused form
// comes back, the summary at its top takes focus, so a long page never hides its errors.
(() => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
})();
