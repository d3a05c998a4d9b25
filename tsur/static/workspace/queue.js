/* The queue page: one request per filter change, the bulk bar, and the list refreshing itself
   without losing the operator's place (page, filters, ticked rows, focus, scroll). */
(function () {
  "use strict";

  var DEBOUNCE_MS = 400;
  var NEW_MARK_MS = 15000;
  var POLL_HEADER = "X-Queue-Poll";
  var pollTimer = null;
  var lastPoll = 0;
  var pollInFlight = false;  // one refresh at a time
  var pollTurn = -1;         // the operator's request count when the refresh in flight was sent
  var operatorTurn = 0;      // requests for the results the operator made: filters, pages, bulk actions
  var places = new WeakMap(); // request -> the operator's place, taken before its swap of the results

  function filters() { return document.getElementById("queue-filters"); }
  function results() { return document.getElementById("queue-results"); }

  // --- filters: exactly one request per change -------------------------------------------------
  // The form listens to `submit` only. A change of a select or a box submits it; typing submits
  // after a pause, and only when the text differs from what was last sent; Enter submits at once
  // and cancels the pending pause (Enter used to send three requests: submit, change and input).
  var typingTimer = null;
  var lastQ = null;

  function setupFilters() {
    var form = filters();
    if (!form || form.dataset.queueReady) return;
    form.dataset.queueReady = "1";
    var q = form.elements.q;
    lastQ = q ? q.value : "";
    form.addEventListener("submit", function () {
      clearTimeout(typingTimer);
      lastQ = q ? q.value : "";
    });
    form.addEventListener("change", function (event) {
      var el = event.target;
      if (el === q) return;  // the text box: `input` and Enter handle it
      if (el.name === "block" && form.elements.category) form.elements.category.value = "";
      form.requestSubmit();
    });
    if (q) {
      q.addEventListener("input", function () {
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () {
          if (q.value !== lastQ) form.requestSubmit();
        }, DEBOUNCE_MS);
      });
    }
  }

  // --- the bulk bar -----------------------------------------------------------------------------
  function rowBoxes() { return Array.prototype.slice.call(document.querySelectorAll("#queue-results input.row-select")); }

  function updateCount() {
    var boxes = rowBoxes();
    var n = boxes.filter(function (b) { return b.checked; }).length;
    var out = document.getElementById("bulk-selected");
    if (out) out.textContent = String(n);
    var all = document.getElementById("select-all");
    if (all) {
      all.checked = boxes.length > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    boxes.forEach(function (b) {
      var tr = b.closest("tr");
      if (tr) tr.classList.toggle("is-checked", b.checked);
    });
  }

  function openPanel(name) {
    document.querySelectorAll("[data-bulk-panel]").forEach(function (panel) {
      var show = panel.getAttribute("data-bulk-panel") === name && panel.hidden;
      panel.hidden = !show;
      var button = document.querySelector('[data-bulk="' + panel.getAttribute("data-bulk-panel") + '"]');
      if (button) button.setAttribute("aria-expanded", show ? "true" : "false");
      if (show) {
        var first = panel.querySelector("select, input, textarea");
        if (first) first.focus();
      }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-bulk]");
    if (button) { event.preventDefault(); openPanel(button.getAttribute("data-bulk")); return; }
    if (event.target.closest("[data-bulk-close]")) { event.preventDefault(); openPanel(""); }
  });

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.id === "select-all") {
      rowBoxes().forEach(function (b) { b.checked = el.checked; });
      updateCount();
    } else if (el.classList && el.classList.contains("row-select")) {
      updateCount();
    }
  });

  // --- keeping the operator's place across a swap -----------------------------------------------
  function takePlace() {
    var root = results();
    if (!root) return null;
    var active = document.activeElement;
    var focus = null;
    if (active && root.contains(active)) {
      var tr = active.closest("tr[data-number]");
      if (tr) focus = { number: tr.getAttribute("data-number"), cls: active.classList.contains("row-select") ? "row-select" : "appeal-link" };
      else if (active.id) focus = { id: active.id };
    }
    var summary = document.getElementById("bulk-summary");
    return {
      summary: summary && !summary.hidden ? { html: summary.innerHTML, cls: summary.className } : null,
      checked: rowBoxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; }),
      numbers: Array.prototype.map.call(root.querySelectorAll("tr[data-number]"), function (tr) { return tr.getAttribute("data-number"); }),
      focus: focus,
      scrollY: window.scrollY,
    };
  }

  function restorePlace(place, markNew) {
    if (!place) return;
    var keep = {};
    place.checked.forEach(function (n) { keep[n] = true; });
    rowBoxes().forEach(function (b) { if (keep[b.value]) b.checked = true; });
    updateCount();
    if (markNew && place.summary) {
      // A refresh must not take away the summary of the bulk action the operator is reading.
      var summary = document.getElementById("bulk-summary");
      if (summary) { summary.innerHTML = place.summary.html; summary.className = place.summary.cls; summary.hidden = false; }
    }
    if (markNew) {
      var known = {};
      place.numbers.forEach(function (n) { known[n] = true; });
      document.querySelectorAll("#queue-results tr[data-number]").forEach(function (tr) {
        if (known[tr.getAttribute("data-number")]) return;
        tr.classList.add("is-new");
        var cell = tr.querySelector(".col-number");
        if (cell && !cell.querySelector(".new-mark")) {
          var mark = document.createElement("span");
          mark.className = "new-mark";
          mark.textContent = "новое";
          cell.appendChild(mark);
        }
        setTimeout(function () {
          tr.classList.remove("is-new");
          var m = tr.querySelector(".new-mark");
          if (m) m.remove();
        }, NEW_MARK_MS);
      });
    }
    if (place.focus) {
      var el = null;
      if (place.focus.number) {
        var row = document.querySelector('#queue-results tr[data-number="' + place.focus.number + '"]');
        if (row) el = row.querySelector("." + place.focus.cls);
      } else if (place.focus.id) {
        el = document.getElementById(place.focus.id);
      }
      if (el) el.focus({ preventScroll: true });
    }
    window.scrollTo(window.scrollX, place.scrollY);
  }

  // A refresh is known by its own request's header, and the place it keeps is its own, never a flag
  // or a variable of the page: those were cleared by the settling of an operator's request that
  // crossed the refresh, and the summary of a bulk action was lost.
  function isPoll(detail) {
    var config = detail && detail.requestConfig;
    return !!(config && config.headers && config.headers[POLL_HEADER]);
  }
  function forResults(detail) { return !!(detail && detail.target && detail.target.id === "queue-results"); }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!forResults(event.detail) || isPoll(event.detail)) return;
    // The operator's own request wins over a refresh in flight: that refresh was rendered before
    // the operator's change (a bulk action, a filter) and would put the older list back.
    operatorTurn += 1;
    if (pollInFlight) htmx.trigger(document.body, "htmx:abort");
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!forResults(event.detail)) return;
    if (isPoll(event.detail) && (pollTurn !== operatorTurn || panelOpen())) {
      // Too late to abort, still not to be shown: older than the operator's request, or it would
      // close the form the operator is filling in. The next refresh comes in its time (poll's
      // `done` clears the refresh's mark).
      event.detail.shouldSwap = false;
      return;
    }
    places.set(event.detail.requestConfig, takePlace());
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!forResults(event.detail)) return;
    // After a bulk action the results come back with nothing ticked: the summary says what happened.
    var bulk = event.detail.requestConfig && event.detail.requestConfig.verb === "post";
    if (!bulk) restorePlace(places.get(event.detail.requestConfig), isPoll(event.detail)); else updateCount();
    setupFilters();
  });

  // --- the list refreshes itself -------------------------------------------------------------------
  function panelOpen() {
    return !!(document.querySelector("[data-bulk-panel]:not([hidden])") || document.querySelector("details.save-view[open]"));
  }

  function busy() {
    // Never under the operator's hands: not while a bulk form or «save view» is open, nor while a
    // request of the page is under way.
    if (panelOpen() || pollInFlight) return true;
    var root = results();
    return !root || root.classList.contains("htmx-request") || !!root.querySelector(".htmx-request");
  }

  function poll() {
    var root = results();
    if (!root || document.hidden || busy() || !window.htmx) return;
    lastPoll = Date.now();
    pollInFlight = true;
    pollTurn = operatorTurn;
    root.classList.add("is-polling");  // a refresh in the background: no fading, no «обновление…»
    var headers = {};
    headers[POLL_HEADER] = "1";
    function done() {
      pollInFlight = false;
      var now = results();
      if (now) now.classList.remove("is-polling");
    }
    htmx.ajax("GET", root.getAttribute("data-poll-url"), {
      target: "#queue-results", swap: "outerHTML", headers: headers,
    }).then(done, done);
  }

  function interval() {
    var root = results();
    var seconds = root ? parseInt(root.getAttribute("data-poll-seconds") || "30", 10) : 30;
    return Math.max(1, seconds) * 1000;
  }

  function startPolling() {
    if (pollTimer || !results()) return;
    lastPoll = Date.now();
    pollTimer = setInterval(function () { if (Date.now() - lastPoll >= interval() - 50) poll(); }, 1000);
  }

  // A hidden tab does not poll; back in view, it catches up at once if a refresh is due.
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && Date.now() - lastPoll >= interval()) poll();
  });

  function init() {
    setupFilters();
    updateCount();
    startPolling();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
