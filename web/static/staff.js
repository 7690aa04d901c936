// Progressive enhancement for the staff pages: every page works without this file.
// A print button on the credential slip (hidden without JavaScript: the browser's own print
// command does the same).
(function () {
  "use strict";
  function wire(root) {
    var buttons = (root || document).querySelectorAll("[data-print]");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      if (b.getAttribute("data-wired")) { continue; }
      b.setAttribute("data-wired", "1");
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    }
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function () { wire(document); });
})();
