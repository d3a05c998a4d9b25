/* The workspace's small behaviours on top of HTMX: queue filter shortcuts, error swaps, the vector map. */
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

  var boundaryStyle = { color: "#21508a", weight: 2, fillColor: "#21508a", fillOpacity: 0.06 };

  function drawMap(el) {
    if (el.dataset.ready || !window.L) return;
    var dataEl = document.getElementById(el.dataset.map);
    if (!dataEl) return;
    el.dataset.ready = "1";
    var data = JSON.parse(dataEl.textContent);
    // The server sends a map only with a point or a boundary (the territory's own, from the
    // configured directory): there is nothing to centre an empty map on.
    if (!data.point && !data.boundary) return;
    // No tile layer: the vector boundary and the point are the whole map (works offline).
    // Leaflet's vector renderer needs a view before layers are added, so compute bounds first.
    var map = L.map(el, { attributionControl: false, zoomControl: true, scrollWheelZoom: false });
    var boundary = data.boundary ? L.geoJSON(data.boundary, { style: boundaryStyle }) : null;
    var point = data.point
      ? L.circleMarker(data.point, { radius: 7, color: "#fff", weight: 2, fillColor: "#c62828", fillOpacity: 1 })
      : null;

    var bounds = boundary ? boundary.getBounds() : null;
    if (bounds && bounds.isValid()) {
      map.fitBounds(bounds, { padding: [10, 10] });
      if (data.point && !bounds.contains(data.point)) map.setView(data.point, 13);
    } else if (data.point) {
      map.setView(data.point, 14);
    } else {
      map.remove();  // an empty geometry and no point: nothing to show
      return;
    }
    if (boundary) boundary.addTo(map);
    if (point) point.addTo(map).bindTooltip("Место обращения");
  }

  function init(root) {
    (root || document).querySelectorAll(".appeal-map[data-map]").forEach(drawMap);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
  if (document.readyState !== "loading") init(document);
})();
