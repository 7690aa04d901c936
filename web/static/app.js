// Progressive enhancement only: every page works without this file.
// 1. Warn before the session times out and offer to extend it.
(function () {
  "use strict";
  var warnTimer = null;

  function schedule() {
    var timer = document.getElementById("session-timer");
    if (!timer) { return; }
    var warning = timer.querySelector(".session-warning");
    // Seconds left, as the server counts them: the device's clock may be wrong (or, in the
    // demo, years away from the server's census-day clock).
    var expires = Date.now() + parseInt(timer.getAttribute("data-remaining"), 10) * 1000;
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
  });
})();
