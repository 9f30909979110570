// The session screens' "everyone" buttons (templates/logbook/session_form.html and
// session_validations.html). Without this script each button sends the form, and the server
// shows it again with everyone ticked, saving nothing; with it, the same boxes are ticked at
// once, in the page, and nothing is sent.
(function () {
  "use strict";

  // Each button ticks the inputs matching `inputs` inside its own `box`.
  function tickAll(button, box, inputs) {
    const scope = button.closest(box);
    button.addEventListener("click", (event) => {
      event.preventDefault();
      scope.querySelectorAll(inputs).forEach((input) => {
        input.checked = true;
      });
    });
  }

  // "Everyone came": every member of the group is present.
  document.querySelectorAll("[data-everyone-present]").forEach((button) => {
    tickAll(button, "[data-everyone-box]", "input[type=checkbox][name=present]");
  });
  // "Everyone: alone": every person showed this checkpoint alone.
  document.querySelectorAll("[data-everyone-alone]").forEach((button) => {
    tickAll(button, "[data-checkpoint]", "input[type=radio][value=alone]");
  });
})();
