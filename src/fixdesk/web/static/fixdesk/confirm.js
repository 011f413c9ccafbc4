// Asks before a destructive action: a form with data-confirm="Question?" is submitted only when the user
// confirms. (htmx requests use hx-confirm instead.) Loaded as a file: the pages' CSP forbids inline code.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
