// Search-as-you-type over a list the server already rendered (people, modules...): typing
// hides the items that do not match; case and accents do not matter. Items already ticked
// always stay in view. With data-filter-list="typed", the list shows only ticked items until
// something is typed, so a long list does not fill the screen. Without this script the
// search box stays hidden and the whole list is shown.
(function () {
  "use strict";
  const comparable = (text) =>
    text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();

  document.querySelectorAll("[data-filter-list]").forEach((box) => {
    const input = box.querySelector("[data-filter-input]");
    const items = Array.from(box.querySelectorAll("[data-filter-item]"));
    const empty = box.querySelector("[data-filter-empty]");
    const status = box.querySelector("[data-filter-status]");
    const untilTyped = box.dataset.filterList === "typed";
    const texts = new Map(items.map((item) => [item, comparable(item.textContent)]));
    box.querySelectorAll("[data-filter-search]").forEach((part) => { part.hidden = false; });

    function filter() {
      const words = comparable(input.value).split(" ").filter(Boolean);
      let shown = 0;
      items.forEach((item) => {
        const ticked = Boolean(item.querySelector("input:checked"));
        const matches = words.length
          ? words.every((word) => texts.get(item).includes(word))
          : !untilTyped;
        item.hidden = !(matches || ticked);
        if (!item.hidden) shown += 1;
      });
      if (empty) empty.hidden = !(words.length && shown === 0);
      if (status) status.textContent = words.length ? status.dataset.template.replace("#", shown) : "";
    }

    input.addEventListener("input", filter);
    // Enter in the search box must not send the whole form.
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault();
    });
    filter();
  });
})();
