// The search box of a chain of code questions (web/codesearch.py): progressive enhancement
// only; without it each level is a select and each save shows the next.
// 1. Show the search boxes (they are drawn hidden: they cannot work without JavaScript).
// 2. Typing in one is not an answer: its change event stops before the questions block, which
//    would otherwise save the page and swap the matches away as the focus moves onto them.
// 3. Up and Down move between the matches, Escape goes back to the box.
(function () {
  "use strict";

  function showAll(root) {
    var boxes = (root || document).querySelectorAll("[data-code-search]");
    for (var i = 0; i < boxes.length; i++) { boxes[i].hidden = false; }
  }

  document.addEventListener("DOMContentLoaded", function () { showAll(document); });
  document.addEventListener("htmx:load", function () { showAll(document); });

  document.addEventListener("change", function (event) {
    var t = event.target;
    if (t && t.closest && t.closest("[data-code-search]")) { event.stopPropagation(); }
  }, true);

  document.addEventListener("keydown", function (event) {
    var t = event.target;
    var box = t && t.closest ? t.closest("[data-code-search]") : null;
    if (!box) { return; }
    var buttons = Array.prototype.slice.call(box.querySelectorAll(".code-matches button"));
    var input = box.querySelector("input");
    var at = buttons.indexOf(t);
    if (event.key === "ArrowDown" && buttons.length) {
      buttons[Math.min(at + 1, buttons.length - 1)].focus();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && at >= 0) {
      (at === 0 ? input : buttons[at - 1]).focus();
      event.preventDefault();
    } else if (event.key === "Escape" && at >= 0) {
      input.focus();
      event.preventDefault();
    }
  });
}());
