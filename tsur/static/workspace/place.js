/* The appeal card's map: the territory's boundary (blue), the point (red), the boundary of the
   territory the point lies in when they disagree (orange), and the shared orientation layers
   (tsur/static/maps/layers.js). When the card offers «Изменить место», a click on the map puts
   the point into that form (shown as a hollow marker until saved); the operator saves it there. */
(function () {
  "use strict";

  var BOUNDARY = { color: "#21508a", weight: 2, fillColor: "#21508a", fillOpacity: 0.06 };
  var OTHER = { color: "#e65100", weight: 2, dashArray: "6 4", fillColor: "#e65100", fillOpacity: 0.05 };

  function placeForm(root) {
    return root.querySelector('details[data-action="change_place"]');
  }

  function wireEditing(map, el, root, pane) {
    var details = placeForm(root);
    if (!details) return;
    var lat = details.querySelector('[data-place-input="lat"]');
    var lon = details.querySelector('[data-place-input="lon"]');
    var clear = details.querySelector('[data-place-input="clear"]');
    if (!lat || !lon) return;
    var hint = root.querySelector("[data-place-edit-hint]");
    if (hint) hint.hidden = false;
    el.classList.add("place-picking");
    var pending = null;
    function show(ll) {
      if (pending) pending.setLatLng(ll);
      else pending = L.circleMarker(ll, { pane: pane, radius: 8, color: "#c62828", weight: 3, fillOpacity: 0, dashArray: "3 3" }).addTo(map).bindTooltip("Новая точка (не сохранена)");
    }
    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(6);
      lon.value = e.latlng.lng.toFixed(6);
      if (clear) clear.checked = false;
      show(e.latlng);
      details.open = true;
      el.setAttribute("data-place-picked", lat.value + "," + lon.value);
    });
    function typed() {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      if (isFinite(a) && isFinite(b)) show(L.latLng(a, b));
    }
    lat.addEventListener("change", typed);
    lon.addEventListener("change", typed);
  }

  function draw(el) {
    if (el.dataset.ready || !window.L) return;
    var dataEl = document.getElementById(el.dataset.placeMap);
    if (!dataEl) return;
    el.dataset.ready = "1";
    var data = JSON.parse(dataEl.textContent);
    if (!data.point && !data.boundary) return;
    var map = L.map(el, { zoomControl: true, scrollWheelZoom: false, maxZoom: 18, zoomSnap: 0.25 });
    map.attributionControl.setPrefix(false);
    el.tsurMap = map;  // for the browser tests
    var boundary = data.boundary ? L.geoJSON(data.boundary, { style: BOUNDARY, interactive: false }) : null;
    var other = data.point_boundary ? L.geoJSON(data.point_boundary, { style: OTHER, interactive: false }) : null;
    var bounds = boundary ? boundary.getBounds() : null;
    if (bounds && bounds.isValid()) {
      // The whole story in view: the territory, the point, and where the point really is.
      if (other) bounds.extend(other.getBounds());
      if (data.point) bounds.extend(data.point);
      map.fitBounds(bounds, { paddingTopLeft: [16, 16], paddingBottomRight: [16, 24], animate: false });
    } else if (data.point) {
      map.setView(data.point, 13);
    } else {
      map.remove();
      return;
    }
    var layers = window.TsurMapLayers;
    var pane = "markerPane";
    if (layers) {
      layers.base(map, data.tiles, data.tiles_attribution);
      layers.places(map, data.places_url, { boundariesCredit: true, keepClear: function () { return data.point ? [data.point] : []; } });
      pane = layers.pointPane(map);
    }
    if (other) other.addTo(map);
    if (boundary) boundary.addTo(map);
    if (data.point) {
      L.circleMarker(data.point, { pane: pane, radius: 7, color: "#fff", weight: 2, fillColor: "#c62828", fillOpacity: 1 })
        .addTo(map).bindTooltip("Место обращения");
    }
    wireEditing(map, el, el.closest("#card") || document, pane);
  }

  function init(root) {
    (root || document).querySelectorAll(".appeal-map[data-place-map]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
  if (document.readyState !== "loading") init(document);
})();
