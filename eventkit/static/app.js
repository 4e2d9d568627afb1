// Behaviour every page shares (the Content-Security-Policy allows no inline script).
"use strict";

// <form data-confirm="Question?">: ask before sending it.
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// <input data-select-on-focus>: select the whole value (a link to copy).
document.addEventListener("focusin", (event) => {
  if (event.target.matches && event.target.matches("input[data-select-on-focus]")) {
    event.target.select();
  }
});
