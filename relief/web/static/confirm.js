// Asks before an irreversible form is sent (approve, dispatch, cancel, trigger, …): the question is the form's
// data-confirm text, so it is in the page's language. Without JavaScript the form still
// works; the server does not depend on this.
document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute("data-confirm");
  // i13-duty: a form that is not complete says so first; the "cannot be undone" question
  // comes only for a form that can be sent.
  if (question && !event.target.checkValidity()) {
    event.preventDefault();
    event.target.reportValidity();
    return;
  }
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
