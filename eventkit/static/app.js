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

// A wide table's scroll container (.table-wrap, .table-scroll) that scrolls must be reachable by keyboard:
// give it a tab stop and a name (its table's caption or the heading before it) when the template did not.
function reachableScrollers() {
  document.querySelectorAll(".table-wrap, .table-scroll").forEach((box) => {
    if (box.hasAttribute("tabindex") || box.scrollWidth <= box.clientWidth) return;
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    if (!box.hasAttribute("aria-label")) {
      const caption = box.querySelector("caption");
      let heading = box.previousElementSibling;
      while (heading && !/^H[1-6]$/.test(heading.tagName)) heading = heading.previousElementSibling;
      box.setAttribute("aria-label", (caption || heading || {textContent: "Table"}).textContent.trim());
    }
  });
}
document.addEventListener("DOMContentLoaded", reachableScrollers);
window.addEventListener("resize", reachableScrollers);
