// Asks before an irreversible form is sent (approve, dispatch, cancel, trigger, …): the question is the form's
// data-confirm text, so it is in the page's language. Without JavaScript the form still
// works; the server does not depend on this.
document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
