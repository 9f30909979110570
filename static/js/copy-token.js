// API tokens page: a button that copies the new token. Without this script the token
// stays in a read-only field that people can select and copy themselves.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    const field = document.querySelector(button.dataset.copy);
    const status = button.parentElement.querySelector("[data-copy-status]");
    if (!field || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) status.textContent = button.dataset.copied;
      }, function () {
        field.select();
      });
    });
  });
})();
