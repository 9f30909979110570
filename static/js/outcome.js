// "Can you do it on your own?": a plain form, one tap sends it. This script only keeps a
// second tap from sending it twice while the next page loads, and, without a connection,
// says so instead of leaving the learner on the browser's error page.
(function () {
  "use strict";
  const form = document.querySelector("[data-outcome-form]");
  if (!form) return;
  const offline = document.querySelector("[data-outcome-offline]");

  form.addEventListener("submit", (event) => {
    if (!navigator.onLine) {
      event.preventDefault();
      offline.hidden = false;
      return;
    }
    offline.hidden = true;
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    form.setAttribute("aria-busy", "true");
  });
  window.addEventListener("online", () => { offline.hidden = true; });
  // Back from the next page (bfcache): the form may be used again.
  window.addEventListener("pageshow", () => {
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
  });
})();
