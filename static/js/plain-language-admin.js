// Plain-language hints in the Wagtail editor: under each textarea and text input of a
// module's steps, say when a sentence or the text is too long. Hints only; saving is free.
(function () {
  const script = document.currentScript;
  const maxSentence = Number(script.dataset.maxSentence);
  const maxStep = Number(script.dataset.maxStep);
  const sentenceMessage = script.dataset.sentenceMessage;
  const stepMessage = script.dataset.stepMessage;
  const countWords = (text) => (text.match(/[\p{L}\p{N}’'-]+/gu) || []).length;

  function hintFor(field) {
    let hint = field.parentElement.querySelector(":scope > .pasapas-plain-hint");
    if (!hint) {
      hint = document.createElement("p");
      hint.className = "pasapas-plain-hint help-block help-warning";
      hint.setAttribute("aria-live", "polite");
      field.insertAdjacentElement("afterend", hint);
    }
    return hint;
  }

  function check(field) {
    if (!field.name || !field.name.startsWith("steps-")) return;
    const text = field.value || "";
    const longest = Math.max(0, ...text.split(/(?<=[.!?…])\s+|\n+/).map(countWords));
    const total = countWords(text);
    const messages = [];
    if (longest > maxSentence) messages.push(sentenceMessage.replace("%(count)s", longest));
    if (total > maxStep) messages.push(stepMessage.replace("%(count)s", total));
    const hint = hintFor(field);
    hint.textContent = messages.join(" ");
    hint.hidden = messages.length === 0;
  }

  document.addEventListener("input", (event) => {
    if (event.target.matches("textarea, input[type=text]")) check(event.target);
  });
  document.addEventListener("focusout", (event) => {
    if (event.target.matches && event.target.matches("textarea, input[type=text]")) check(event.target);
  });
})();
