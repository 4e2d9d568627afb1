// Guest list: the confirmation follows the chosen action; "select all" ticks every row.
"use strict";

// <select> whose <option data-confirm="..."> take a place away: the form asks that question (app.js asks it).
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!select.matches || !select.matches("select[data-confirm-options]")) {
    return;
  }
  const form = select.form;
  const option = select.selectedOptions[0];
  if (option && option.dataset.confirm) {
    form.dataset.confirm = option.dataset.confirm;
  } else {
    delete form.dataset.confirm;
  }
});

// <input type="checkbox" data-select-all="bulk">: tick or untick every row checkbox of that form.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches || !box.matches("input[data-select-all]")) {
    return;
  }
  document.querySelectorAll(`input[type=checkbox][name=ids][form="${box.dataset.selectAll}"]`).forEach((row) => {
    row.checked = box.checked;
  });
});
