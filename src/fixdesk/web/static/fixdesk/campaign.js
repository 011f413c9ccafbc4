// The campaign editor's preview: the form is posted into the preview frame (its "Show the preview" button,
// formaction and formtarget) when the page opens and again shortly after the subject or body changes.
// Without scripts the button still works. Loaded as a file: the pages' CSP forbids inline code.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector("[data-campaign-preview-button]");
  if (!button) return;
  const form = button.form;
  let timer = null;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => button.click(), 500);
  };
  form.addEventListener("input", (event) => {
    if (event.target.name === "subject" || event.target.name === "body") refresh();
  });
  button.click();
});
