// Progressive enhancement only: every page works without this file (autosave is autosave.js).
// 1. Warn before the session times out and offer to extend it.
// 2. After a page is shown (loaded, or swapped in by hx-boost), put the focus where a keyboard
//    or screen reader user needs it: on the error summary if there is one, else on <main>.
// 3. A form marked data-once (the sign-in forms) is sent once: checking a password takes the
//    server a sixth of a second of CPU, and a second press would queue a second check behind
//    the first. Its button says what is happening; coming back to the page makes it usable again.
// 4. An option's text field (其他，请注明; .specify) shows only while its option is chosen (without
//    this file it is always there, and the engine reads it only then); ticking an exclusive option
//    (none of these; data-exclusive) unticks the others of its question, and ticking another
//    unticks it (without this file the engine's message says what to do).
(function () {
  "use strict";
  var warnTimer = null;
  var focusBeforeWarning = null;  // where the person was when the warning took the focus

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
      if (button) {
        focusBeforeWarning = document.activeElement;
        button.focus();
      }
    }, Math.max(delay, 0));
  }

  // "Stay signed in" replaced the timer, and with it the button that had the focus: give the
  // focus back to where the person was before the warning (else the page's content).
  function refocusAfterExtend() {
    var back = focusBeforeWarning;
    focusBeforeWarning = null;
    if (back && back !== document.body && document.body.contains(back)) {
      back.focus({ preventScroll: true });
    } else {
      var main = document.getElementById("main");
      if (main) { main.focus({ preventScroll: true }); }
    }
  }

  function focusPage(boosted) {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    } else if (boosted) {
      // A boosted navigation replaced the page without a load: start reading at the content.
      var main = document.getElementById("main");
      if (main) { main.focus({ preventScroll: true }); }
    }
  }

  // -- forms sent once ------------------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-once")) { return; }
    if (form.hasAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "");
    var button = form.querySelector("button[data-busy-text]");
    if (button) {
      button.setAttribute("data-idle-text", button.textContent);
      button.textContent = button.getAttribute("data-busy-text");
      button.setAttribute("aria-disabled", "true");
    }
  });

  // Back to a page kept in the browser's memory: its form was sent then, not now.
  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].removeAttribute("data-sent");
      var button = forms[i].querySelector("button[data-idle-text]");
      if (button) {
        button.textContent = button.getAttribute("data-idle-text");
        button.removeAttribute("data-idle-text");
        button.removeAttribute("aria-disabled");
      }
    }
  });

  // -- options that open a text field, options ticked alone ------------------------------------
  function optionChosen(box) {
    var field = box.closest(".field");
    var code = box.getAttribute("data-specify-for");
    var controls = field ? field.querySelectorAll("input[type=radio], input[type=checkbox], option") : [];
    for (var i = 0; i < controls.length; i++) {
      if (controls[i].value === code) { return controls[i].checked || controls[i].selected; }
    }
    return false;
  }

  function revealTexts() {
    var boxes = document.querySelectorAll(".specify[data-specify-for]");
    for (var i = 0; i < boxes.length; i++) { boxes[i].hidden = !optionChosen(boxes[i]); }
  }

  function aloneOrOthers(input) {
    if (input.type !== "checkbox" || !input.checked || !input.form) { return; }
    var group = input.form.querySelectorAll("input[type=checkbox]");
    for (var i = 0; i < group.length; i++) {
      var other = group[i];
      if (other !== input && other.name === input.name &&
          (input.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive"))) {
        other.checked = false;
      }
    }
  }

  // Capturing, so that the ticks are right before htmx (listening below) sends the answers.
  document.addEventListener("change", function (event) {
    if (event.target && event.target.matches && event.target.matches("input, select")) {
      aloneOrOthers(event.target);
      revealTexts();
    }
  }, true);
  document.addEventListener("htmx:afterSwap", revealTexts);

  document.addEventListener("DOMContentLoaded", function () {
    schedule();
    focusPage(false);
    revealTexts();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var extended = event.target && event.target.id === "session-timer" &&
      document.activeElement === document.body;
    schedule();
    if (extended) { refocusAfterExtend(); }
    // A new page in place of the old one: a boosted navigation, or an error page that replaced
    // the page an autosave was on (HX-Retarget: body).
    if (event.detail && event.detail.target === document.body) {
      focusPage(true);
    }
  });
})();
