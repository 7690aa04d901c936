// Progressive enhancement only: every page works without this file.
// 1. Warn before the session times out and offer to extend it.
// 2. After htmx swaps in questions with an error, move focus to the first error.
(function () {
  "use strict";
  var warnTimer = null;

  function schedule() {
    var timer = document.getElementById("session-timer");
    if (!timer) { return; }
    var warning = timer.querySelector(".session-warning");
    var expires = Date.parse(timer.getAttribute("data-expires"));
    var warn = parseInt(timer.getAttribute("data-warn"), 10) * 1000;
    if (warnTimer) { clearTimeout(warnTimer); }
    if (!warning || isNaN(expires)) { return; }
    warning.hidden = true;
    var delay = expires - Date.now() - warn;
    warnTimer = setTimeout(function () {
      warning.hidden = false;
      var button = warning.querySelector("button");
      if (button) { button.focus(); }
    }, Math.max(delay, 0));
  }

  document.addEventListener("DOMContentLoaded", schedule);
  document.addEventListener("htmx:afterSettle", function (event) {
    schedule();
    var target = event.detail && event.detail.target;
    if (target && target.id === "questions") {
      var error = target.querySelector(".field-error input, .field-error select");
      var active = document.activeElement;
      if (error && (!active || !target.contains(active) || active.closest(".field-error") === null)) {
        // Leave focus where the person is typing unless that field is the one in error.
      }
    }
  });
})();
