// Autosave of a question page: progressive enhancement only, the page's form posts without it.
// The questions block (#questions) posts itself to its live URL with htmx:
// - on a change (a choice made, a field left): the questions come back as the server now sees
//   them (follow-up questions, errors) and are swapped in;
// - while a field is typed in, after a pause ("typed", with `typing`): saved, and only the
//   page's version comes back, so nothing moves under the person's fingers;
// - when the page is hidden or closed: whatever is not saved yet goes with a keepalive request,
//   the one request that outlives the page.
// What the server cannot accept yet (half an identity number, one box of a count pair) is kept
// by it as typed. Text being composed by an input method (pinyin on its way to characters) is
// never sent, and nothing is swapped in while it is composed. What the person did while a
// request was on its way is put back after the swap, and then saved in turn.
(function () {
  "use strict";
  var PAUSE = 800;         // ms of no typing after which what was typed is saved
  var sent = null;         // field id -> value (or ticked) as last sent to the server or shown by it
  var carried = null;      // what to put back after the swap on its way
  var saveAfterSettle = null;  // "change" or "typed": what to send once a swap has put things back
  var typingTimer = null;
  var inFlight = 0;
  var composing = null;    // {id, before, ended}: the field an input method composes in, its text before
  var deferred = null;     // an answer that came while text was being composed, swapped in after
  var flushing = false;    // a keepalive save is on its way: the next request waits for its version
  var waiting = null;      // that request
  var leaving = false;     // the page is going (closed, or kept in the back-forward cache)
  var refresh = false;     // the questions shown are older than the answers saved: fetch them anew

  function questions() { return document.getElementById("questions"); }

  function isTyped(f) {
    return !!f && (f.tagName === "TEXTAREA" || (f.tagName === "INPUT" && f.type === "text")) &&
      !!f.closest && !!f.closest("#questions");
  }

  function fieldsOf(root) {
    var out = [];
    var all = root ? root.querySelectorAll("input, select, textarea") : [];
    for (var i = 0; i < all.length; i++) {
      if (all[i].id && all[i].type !== "hidden") { out.push(all[i]); }
    }
    return out;
  }

  function current(f) {
    if (f.type === "radio" || f.type === "checkbox") { return f.checked; }
    if (composing && composing.id === f.id) { return composing.before; }  // never half-composed text
    return f.value;
  }

  function shown(f) {  // as the server drew it
    if (f.type === "radio" || f.type === "checkbox") { return f.defaultChecked; }
    if (f.tagName === "SELECT") {
      for (var i = 0; i < f.options.length; i++) {
        if (f.options[i].defaultSelected) { return f.options[i].value; }
      }
      return "";
    }
    return f.defaultValue;
  }

  function snapshot(root, read) {
    var out = {};
    var fields = fieldsOf(root);
    for (var i = 0; i < fields.length; i++) { out[fields[i].id] = read(fields[i]); }
    return out;
  }

  function unsaved(root) {
    var fields = fieldsOf(root);
    for (var i = 0; i < fields.length; i++) {
      if (!sent || !(fields[i].id in sent) || sent[fields[i].id] !== current(fields[i])) { return true; }
    }
    return false;
  }

  function setValue(f, value) {
    if (f.type === "radio" || f.type === "checkbox") { f.checked = value; } else { f.value = value; }
  }

  // -- putting back what was done while a request was on its way ------------------------------
  // Each field changed since the request left keeps its new value; the field being typed in
  // keeps its text and caret whatever the server made of it (it tidies "Mary " into "Mary",
  // which would eat the space before "Smith").
  function capture(root) {
    var active = document.activeElement;
    carried = [];
    var fields = fieldsOf(root);
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      var edited = !sent || sent[f.id] !== current(f);
      var typing = f === active && isTyped(f);
      if (edited || typing) {
        carried.push({ id: f.id, value: f.type === "radio" || f.type === "checkbox" ? f.checked : f.value,
                       edited: edited, typing: typing,
                       start: typing ? f.selectionStart : null, end: typing ? f.selectionEnd : null });
      }
    }
  }

  function putBack(root) {
    sent = snapshot(root, shown);
    var list = carried || [];
    carried = null;
    var again = null;
    for (var i = 0; i < list.length; i++) {
      var c = list[i];
      var f = document.getElementById(c.id);
      if (!f) { continue; }  // the question is no longer asked
      setValue(f, c.value);
      if (c.typing) {
        try { f.setSelectionRange(c.start, c.end); } catch (ignored) { /* not a text field */ }
        if (!c.edited) { sent[c.id] = c.value; }  // the server has it, tidied
      }
      if (c.edited) { again = c.typing && again !== "change" ? "typed" : "change"; }
    }
    return again;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    // A typed save's answer (HX-Reswap: none) swaps nothing but the version, beside the questions.
    if (!target || target.id !== "questions" || event.detail.swapOverride === "none") { return; }
    if (composing && event.detail.shouldSwap) {
      // Swapping now would end the composition: after it, then (the version waits with it).
      deferred = event.detail.serverResponse;
      event.detail.shouldSwap = false;
      return;
    }
    capture(target);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "questions" && carried) {
      saveAfterSettle = putBack(event.target);
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (saveAfterSettle && event.target && event.target.id === "questions") {
      var kind = saveAfterSettle;
      saveAfterSettle = null;
      // htmx has taken the new questions in hand by now: save what was put back.
      event.target.dispatchEvent(new Event(kind, { bubbles: kind === "change" }));
    }
  });

  function versionIn(html) {
    var parsed = document.createElement("template");
    parsed.innerHTML = html;  // inert: nothing in a template runs
    var version = parsed.content.getElementById("page-version");
    return version ? version.value : null;
  }

  function swapDeferred() {
    var root = questions();
    var text = deferred;
    deferred = null;
    if (!root || text === null) { return; }
    capture(root);
    htmx.swap(root, text, { swapStyle: "outerHTML" });
    release();
  }

  // -- requests: one at a time, each with the version the last one left ----------------------
  function gated() { return flushing || deferred !== null; }

  function release() {
    if (gated() || !waiting) { return; }
    var issue = waiting;
    waiting = null;
    issue(true);
  }

  function ofQuestions(elt) {
    var root = questions();
    return !!root && !!elt && (elt === root || (elt.tagName === "FORM" && elt.contains(root)));
  }

  document.addEventListener("htmx:confirm", function (event) {
    if (!gated() || !ofQuestions(event.detail.elt)) { return; }
    event.preventDefault();
    waiting = event.detail.issueRequest;
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var trigger = event.detail.triggeringEvent;
    if (trigger && trigger.type === "typed") { event.detail.parameters.typing = "1"; }
    if (composing && event.detail.elt === questions()) {
      var f = document.getElementById(composing.id);
      if (f && f.name) { event.detail.parameters[f.name] = composing.before; }
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt !== questions()) { return; }
    inFlight += 1;
    sent = snapshot(event.detail.elt, current);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // (The element that asked may have been swapped out by now: known by its id.)
    if (!event.detail.elt || event.detail.elt.id !== "questions") { return; }
    inFlight = Math.max(0, inFlight - 1);
    if (!event.detail.successful) { sent = null; }  // not saved: all of it is still to send
  });

  // -- saving as it is typed ------------------------------------------------------------------
  function scheduleTyped() {
    if (typingTimer) { clearTimeout(typingTimer); }
    typingTimer = setTimeout(saveTyped, PAUSE);
  }

  function saveTyped() {
    typingTimer = null;
    var root = questions();
    if (!root || composing || leaving) { return; }
    if (inFlight) {  // after the answer on its way (a swap saves what it put back itself)
      typingTimer = setTimeout(saveTyped, PAUSE / 4);
      return;
    }
    if (unsaved(root)) { root.dispatchEvent(new Event("typed")); }
  }

  document.addEventListener("input", function (event) {
    if (!isTyped(event.target) || event.isComposing || composing) { return; }
    scheduleTyped();
  });

  // A change (a field left) saves the whole page at once: no typed save after it.
  document.addEventListener("change", function (event) {
    if (typingTimer && event.target && event.target.closest && event.target.closest("#questions")) {
      clearTimeout(typingTimer);
      typingTimer = null;
    }
  }, true);

  document.addEventListener("compositionstart", function (event) {
    if (!isTyped(event.target)) { return; }
    composing = { id: event.target.id, before: event.target.value };
    if (typingTimer) { clearTimeout(typingTimer); typingTimer = null; }
  }, true);

  document.addEventListener("compositionend", function (event) {
    if (!composing || composing.id !== event.target.id) { return; }
    if (leaving || document.visibilityState === "hidden") {
      // The browser ends the composition as the page goes: what it commits is the pinyin.
      composing.ended = true;
      return;
    }
    composing = null;
    // The characters are in the field now; the "input" that follows may still say it composes.
    composed();
  }, true);

  // What waited for a composition to end: the answer that came meanwhile, or a fresh one.
  function composed() {
    var root = questions();
    if (deferred !== null) {
      swapDeferred();
    } else if (refresh && root) {
      refresh = false;
      root.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    scheduleTyped();
  }

  // -- when the page is hidden or closed ------------------------------------------------------
  function flush() {
    var root = questions();
    var form = root && root.closest("form");
    if (!form || flushing || !unsaved(root)) { return; }
    if (typingTimer) { clearTimeout(typingTimer); typingTimer = null; }
    var body = new URLSearchParams(new FormData(form));  // with the form's CSRF token
    if (deferred !== null) { body.set("version", versionIn(deferred) || body.get("version")); }
    if (composing) {
      var f = document.getElementById(composing.id);
      if (f && f.name) { body.set(f.name, composing.before); }
    }
    body.set("typing", "1");
    sent = snapshot(root, current);
    flushing = true;
    fetch(root.getAttribute("hx-post"), {
      method: "POST", body: body, keepalive: true, credentials: "same-origin",
      headers: { "HX-Request": "true" }
    }).then(function (response) {
      // Still here (the tab was only hidden): take the new version, as a typed save does.
      var to = response.headers.get("HX-Redirect");  // signed out meanwhile, or handed over
      if (to) { window.location.href = to; return null; }
      if (!response.ok) { sent = null; return null; }
      return response.text();
    }).then(function (text) {
      var now = questions();
      if (!text || !now) { return; }
      htmx.swap(now, text, { swapStyle: "none" });
      if (deferred !== null) {  // older than what was just saved: ask for the questions afresh instead
        deferred = null;
        refresh = true;
      }
    }).catch(function () {
      sent = null;
    }).then(function () {
      flushing = false;
      release();
    });
  }

  // Back on the page: a composition the browser ended meanwhile left its text in the field,
  // which the person now sees, and which is saved like anything typed.
  function back() {
    leaving = false;
    if (composing && composing.ended) {
      composing = null;
      composed();
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(); } else { back(); }
  });
  window.addEventListener("pagehide", function () {
    leaving = true;  // nothing more is sent from here but by `flush`
    flush();
  });
  window.addEventListener("pageshow", back);

  function start() { sent = snapshot(questions(), shown); }
  document.addEventListener("DOMContentLoaded", start);
  // A new page swapped in by a boosted navigation (not an autosave answer): start afresh.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail && event.detail.target === document.body) { start(); }
  });
})();
