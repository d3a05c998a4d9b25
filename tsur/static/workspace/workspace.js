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

  function findFeature(collection, codes) {
    if (!collection || !collection.features) return null;
    for (var i = 0; i < codes.length; i++) {
      for (var j = 0; j < collection.features.length; j++) {
        var f = collection.features[j];
        if (f.properties && f.properties.code === codes[i]) return f;
      }
    }
    return null;
  }

  var boundaryStyle = { color: "#21508a", weight: 2, fillColor: "#21508a", fillOpacity: 0.06 };

  function drawMap(el) {
    if (el.dataset.ready || !window.L) return;
    var dataEl = document.getElementById(el.dataset.map);
    if (!dataEl) return;
    el.dataset.ready = "1";
    var data = JSON.parse(dataEl.textContent);
    // No tile layer: the vector boundary and the point are the whole map (works offline).
    var map = L.map(el, { attributionControl: false, zoomControl: true, scrollWheelZoom: false });
    var bounds = null;
    function addBoundary(geometry) {
      var layer = L.geoJSON(geometry, { style: boundaryStyle }).addTo(map);
      bounds = layer.getBounds();
      layer.bringToBack();
    }
    function addPoint() {
      if (!data.point) return;
      var marker = L.circleMarker(data.point, { radius: 7, color: "#fff", weight: 2, fillColor: "#c62828", fillOpacity: 1 }).addTo(map);
      marker.bindTooltip("Место обращения");
    }
    function fit() {
      if (bounds && bounds.isValid()) {
        map.fitBounds(bounds, { padding: [10, 10] });
        if (data.point && !bounds.contains(data.point)) map.setView(data.point, 13);
      } else if (data.point) {
        map.setView(data.point, 14);
      } else {
        map.setView([54.5, 36.3], 7);
      }
    }
    if (data.boundary) addBoundary(data.boundary);
    addPoint();
    fit();
    if (!data.boundary && data.codes && data.codes.length && el.dataset.geojsonUrl) {
      fetch(el.dataset.geojsonUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (collection) {
          var feature = findFeature(collection, data.codes);
          if (feature) { addBoundary(feature); fit(); }
        })
        .catch(function () { /* the point alone is still useful */ });
    }
  }

  function init(root) {
    (root || document).querySelectorAll(".appeal-map[data-map]").forEach(drawMap);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
  if (document.readyState !== "loading") init(document);
})();
