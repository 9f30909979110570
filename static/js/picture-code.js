// A card's picture code, chosen like it is given at sign-in: one picture at a time, and a
// picture already chosen is not offered again. Without this script the three sets of
// pictures are all shown and work the same (templates/includes/picture_code_choice.html).
(function () {
  "use strict";
  document.querySelectorAll("[data-picture-code]").forEach((code) => {
    const steps = Array.from(code.querySelectorAll("[data-picture-step]"));
    const chosenBox = code.querySelector("[data-picture-chosen]");
    const chosenList = code.querySelector("[data-picture-chosen-list]");
    const restart = code.querySelector("[data-picture-restart]");

    const checked = (step) => step.querySelector("input:checked");

    function show() {
      const values = steps.map(checked).filter(Boolean).map((input) => input.value);
      // Positions are filled in order: the first step without a picture is the current one.
      const current = steps.findIndex((step) => !checked(step));
      steps.forEach((step, index) => {
        step.hidden = index !== current;
        step.querySelectorAll("input").forEach((input) => {
          const label = input.closest("label");
          const taken = index === current && values.includes(input.value);
          label.hidden = taken;
          input.disabled = taken;
        });
      });
      chosenList.replaceChildren(
        ...steps.map(checked).filter(Boolean).map((input) => {
          const picture = input.closest("label").cloneNode(true);
          picture.querySelector("input").remove();
          const item = document.createElement("span");
          item.className = "picture-code__picked";
          item.append(...picture.childNodes);
          return item;
        })
      );
      chosenBox.hidden = values.length === 0;
    }

    code.addEventListener("change", (event) => {
      if (event.target.matches("input[type=radio]")) {
        show();
        const next = steps.find((step) => !step.hidden);
        if (next) next.querySelector("input:not(:disabled)").focus();
        else restart.focus();
      }
    });
    restart.addEventListener("click", () => {
      steps.forEach((step) => step.querySelectorAll("input").forEach((input) => {
        input.checked = false;
      }));
      show();
      steps[0].querySelector("input").focus();
    });
    show();
  });
})();
