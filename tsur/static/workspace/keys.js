/* Keyboard shortcuts of the queue and the card, and their help overlay (docs/keyboard.md).
 *
 * Keys are matched by event.code (the physical key), so they work with the Russian layout too
 * («J» is «О» there). They never act while the operator types in a field; Esc always works.
 * Every key only moves focus, opens a form or follows a link: a state change still needs its
 * button (Enter), so a stray key changes nothing. */
(function () {
  "use strict";

  var lastFocus = null;

  function overlay() { return document.getElementById("keys-help"); }

  function openHelp() {
    var o = overlay();
    if (!o || !o.hidden) return;
    lastFocus = document.activeElement;
    o.hidden = false;
    var close = o.querySelector("[data-keys-help-close]");
    if (close) close.focus();
  }

  function closeHelp() {
    var o = overlay();
    if (!o || o.hidden) return false;
    o.hidden = true;
    if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
    return true;
  }

  function isTyping(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(el.type) < 0;
  }

  // --- the queue -------------------------------------------------------------------------------

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#queue-results tbody tr[data-number]"));
  }

  function currentRow() {
    return document.querySelector("#queue-results tbody tr.kb-current");
  }

  function rowLink(row) {
    return row.querySelector("a.appeal-link") || row.querySelector("a[href]");
  }

  function setCurrent(row) {
    rows().forEach(function (r) { r.classList.remove("kb-current"); });
    if (!row) return;
    row.classList.add("kb-current");
    var link = rowLink(row);
    if (link) link.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  function moveRow(step) {
    var list = rows();
    if (!list.length) return;
    var row = currentRow() || (document.activeElement && document.activeElement.closest("tr[data-number]"));
    var i = row ? list.indexOf(row) : -1;
    var next = i < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, i + step));
    setCurrent(list[next]);
  }

  function selectAll() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll("#queue-results tr[data-number] input.row-select"));
    if (!boxes.length) return;
    var toggle = document.getElementById("select-all");
    var all = boxes.every(function (b) { return b.checked; });
    if (toggle && toggle.checked === all) {
      toggle.click();  // the bulk bar's own «select all» keeps its counter right
    } else {
      boxes.forEach(function (b) { if (b.checked === all) b.click(); });
    }
  }

  function focusBulk() {
    var bar = document.getElementById("bulk-bar");
    if (!bar) return;
    // The first action's button, not the «select all» box before it (Shift+A does that).
    var target = bar.querySelector("[data-bulk]:not([disabled])") || bar.querySelector("button:not([disabled])");
    if (target) target.focus();
  }

  var QUEUE_KEYS = {
    KeyJ: function () { moveRow(1); },
    KeyK: function () { moveRow(-1); },
    KeyO: function () {
      var row = currentRow();
      var link = row && rowLink(row);
      if (link) link.click();
    },
    KeyX: function () {
      var row = currentRow() || (document.activeElement && document.activeElement.closest("tr[data-number]"));
      var box = row && row.querySelector("input.row-select");
      if (box) box.click();
    },
    Slash: function () {
      var q = document.getElementById("id_q");
      if (q) { q.focus(); q.select(); }
    },
    "Shift+KeyA": selectAll,
    KeyB: focusBulk,
  };

  // --- the card --------------------------------------------------------------------------------

  function openAction(name, focusSubmit, fieldSelector) {
    var box = document.querySelector('#card [data-action="' + name + '"]');
    if (!box) return false;
    if (box.tagName === "DETAILS") box.open = true;
    box.scrollIntoView({ block: "nearest" });
    var submit = box.querySelector("button[type=submit]");
    var field = box.querySelector(fieldSelector || ".ts-control input, textarea, input:not([type=hidden]), select:not(.tomselected)");
    var target = focusSubmit ? submit : field || submit;
    if (target) target.focus();
    return true;
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) link.click();
  }

  function focusTake() {
    var take = document.querySelector("#card [data-key-take]");
    if (take) { take.focus(); return true; }
    return false;
  }

  var CARD_KEYS = {
    KeyR: function () { openAction("route", true); },
    KeyA: function () { openAction("assign", false) || focusTake(); },
    KeyT: focusTake,
    KeyE: function () { openAction("prepare_answer", false, "textarea"); },
    KeyP: function () { openAction("approve_answer", false); },
    KeyV: function () { openAction("return_answer", false, "textarea"); },
    KeyN: function () { follow('#card [data-key-nav="next"]'); },
    "Shift+KeyN": function () { follow('#card [data-key-nav="previous"]'); },
    KeyU: function () { follow('#card [data-key-nav="queue"]'); },
  };

  function closeForms() {
    var active = document.activeElement;
    var box = active && active.closest ? active.closest("#card details[open]") : null;
    if (!box) return false;
    box.open = false;
    var summary = box.querySelector("summary");
    if (summary) summary.focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    var target = event.target;
    if (event.code === "Escape") {
      // A picker's open list closes first (it handles Esc itself).
      if (target && target.closest && target.closest(".ts-wrapper.dropdown-active")) return;
      if (closeHelp() || closeForms()) event.preventDefault();
      return;
    }
    if (isTyping(target)) return;
    var help = overlay();
    if (event.key === "?" || (event.code === "Slash" && event.shiftKey)) {
      event.preventDefault();
      if (help && !help.hidden) closeHelp(); else openHelp();
      return;
    }
    if (help && !help.hidden) return;
    var name = (event.shiftKey ? "Shift+" : "") + event.code;
    var handler = null;
    if (document.getElementById("card")) handler = CARD_KEYS[name];
    else if (document.getElementById("queue-results")) {
      handler = QUEUE_KEYS[name];
      // Enter on a chosen row opens it (on its link Enter already does).
      if (!handler && event.code === "Enter" && target && target.tagName === "TR") handler = QUEUE_KEYS.KeyO;
    }
    if (!handler) return;
    event.preventDefault();
    handler();
  });

  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target : null;
    if (!el) return;
    if (el.closest("[data-keys-help-open]")) { event.preventDefault(); openHelp(); return; }
    if (el.closest("[data-keys-help-close]")) { event.preventDefault(); closeHelp(); return; }
    if (el.id === "keys-help") { closeHelp(); return; }  // a click beside the box
    var skip = el.closest("[data-skip-first-appeal]");
    if (skip) {
      var first = rows()[0];
      if (first) { event.preventDefault(); setCurrent(first); }
    }
  });

  // A row chosen by the mouse or Tab becomes the current row for j/k and x.
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest ? event.target.closest("#queue-results tbody tr[data-number]") : null;
    if (row && !row.classList.contains("kb-current")) {
      rows().forEach(function (r) { r.classList.remove("kb-current"); });
      row.classList.add("kb-current");
    }
  });
})();
