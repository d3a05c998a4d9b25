/* The workspace's small behaviours on top of HTMX: queue filter shortcuts, error swaps. */
(function () {
  "use strict";

  if (window.htmx) {
    // Domain errors come back as 409/422/400/403 with the re-rendered card: show them, don't drop them.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "(400|403|409|422)", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
    ];
    htmx.config.historyCacheSize = 5;
  }

  // Keep the queue's URL short and readable: drop empty filters before the request (and the pushed URL).
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "queue-filters") return;
    var params = event.detail.parameters;
    var keys = [];
    if (typeof params.keys === "function") {
      for (var key of params.keys()) keys.push(key);
    } else {
      keys = Object.keys(params);
    }
    keys.forEach(function (key) {
      var value = typeof params.get === "function" ? params.get(key) : params[key];
      if (value === "" || value === null) {
        if (typeof params.delete === "function") params.delete(key); else delete params[key];
      }
    });
  });

  // Counters and column headers set one filter of the queue form and resubmit it (the links work without JS too).
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-set-filter]");
    var form = document.getElementById("queue-filters");
    if (!link || !form || !window.htmx) return;
    var name = link.getAttribute("data-set-filter");
    var value = link.getAttribute("data-value");
    var input = form.elements[name];
    if (!input) return;
    event.preventDefault();
    if (input.type === "checkbox") {
      input.checked = !input.checked;
    } else {
      input.value = value;
    }
    form.requestSubmit();
  });

  // A server error must not leave the operator wondering.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    alert("Ошибка сервера (" + status + "). Обновите страницу и повторите действие.");
  });
  document.addEventListener("htmx:sendError", function () {
    alert("Нет связи с сервером. Проверьте сеть и повторите действие.");
  });

  // The card's map lives in workspace/place.js (with the shared layers of maps/layers.js).
})();

/* Countdowns (queue rows and the card head): the server renders the time left in working time and
   says whether the working clock runs now and until when (tsur/workspace/countdown.py); the page only
   takes a minute off each minute while it runs. No calendar here: when the clock stops, the text
   stays until the next refresh from the server. */
(function () {
  "use strict";

  function fmt(minutes) {
    var m = Math.abs(minutes);
    var h = Math.floor(m / 60);
    var r = m % 60;
    if (h && r) return h + " ч " + r + " мин";
    if (h) return h + " ч";
    return r + " мин";
  }

  function text(minutes, short) {
    var body = minutes >= 0 ? "осталось " + fmt(minutes) : "просрочено на " + fmt(minutes);
    return short ? body : body + " рабочего времени";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown][data-unit=minutes][data-running='1']").forEach(function (el) {
      if (!el.dataset.t0) {
        el.dataset.t0 = String(now);
        el.dataset.base = el.dataset.minutes;
        return;
      }
      var until = parseInt(el.dataset.until || "0", 10);
      var upto = until ? Math.min(now, until) : now;
      var elapsed = Math.floor((upto - parseInt(el.dataset.t0, 10)) / 60000);
      var minutes = parseInt(el.dataset.base, 10) - elapsed;
      if (parseInt(el.dataset.base, 10) < 0) minutes = Math.min(minutes, -1);
      el.dataset.minutes = String(minutes);
      var label = text(minutes, el.dataset.short === "1");
      if (el.textContent !== label) el.textContent = label;
      if (minutes < 0) {
        el.classList.remove("cd-ok", "cd-soon", "cd-paused");
        el.classList.add("cd-overdue");
      } else if (minutes <= 120) {
        el.classList.remove("cd-ok");
        el.classList.add("cd-soon");
      }
      if (until && now >= until) {
        el.dataset.running = "0";  // the working day is over: the clock stands until the server says otherwise
        if (minutes >= 0) { el.classList.remove("cd-ok", "cd-soon"); el.classList.add("cd-paused"); }
      }
    });
  }

  tick();
  document.addEventListener("htmx:afterSettle", tick);
  setInterval(tick, 15000);  // checked four times a minute, so a minute never shows late by more than 15 s
})();

/* File inputs: name the chosen files beside the Russian «Выбрать файлы» button. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".file-pick input[type=file]")) return;
    var out = input.parentNode.querySelector("[data-file-names]");
    if (!out) return;
    var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    out.textContent = names.length ? names.join(", ") : "Файлы не выбраны";
  });
})();
