/* Layers every map of the platform shares (the resident's widget, the appeal card, the situation
   center): the optional raster base layer (TSUR_MAP_TILE_URL) and, for orientation without tiles,
   the settlements and streets we ship, as labelled points that appear by zoom and never overlap.
   Usage: TsurMapLayers.base(map, tileUrl, attribution); TsurMapLayers.places(map, placesUrl). */
(function () {
  "use strict";

  // From which zoom a kind of place is labelled (and, for districts, until which: close in, the
  // boundaries and the settlements say enough). Large places first, so a crowded view keeps them.
  var MIN_ZOOM = { city: 5, town: 6.25, district: 7.5, village: 9, street: 14.5 };
  var MAX_ZOOM = { district: 9.75 };
  var ORDER = { city: 0, town: 1, district: 2, village: 3, street: 4 };
  var MAX_LABELS = 70;
  var loads = {};

  function load(url) {
    if (!loads[url]) {
      loads[url] = fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .catch(function () { return null; });
    }
    return loads[url];
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function base(map, tiles, attribution) {
    if (!tiles) return null;
    return L.tileLayer(tiles, { attribution: attribution || "", maxZoom: 19 }).addTo(map);
  }

  function overlaps(a, list) {
    for (var i = 0; i < list.length; i++) {
      var b = list[i];
      if (a[0] < b[2] && a[2] > b[0] && a[1] < b[3] && a[3] > b[1]) return true;
    }
    return false;
  }

  /* Labels live in their own pane that lets clicks through: a click on a village's name must
     still set the point on the map under it. Returns the layer group (for a layer control). */
  function places(map, url, options) {
    options = options || {};
    if (!map.getPane("tsurPlaces")) {
      var pane = map.createPane("tsurPlaces");
      pane.style.zIndex = 450;
      pane.style.pointerEvents = "none";
    }
    var group = L.layerGroup();
    if (options.add !== false) group.addTo(map);
    var container = map.getContainer();
    var items = [];

    function redraw() {
      group.clearLayers();
      if (!map.hasLayer(group)) return;
      var zoom = map.getZoom();
      var view = map.getBounds();
      var size = map.getSize();
      // Labels stay whole inside the map, clear of the credit line at its foot.
      var credit = container.querySelector(".leaflet-control-attribution");
      var bottom = size.y - (credit ? credit.offsetHeight : 0);
      var taken = [];
      // Room around the appeal's own point (options.keepClear → latlngs): no name sits on it.
      var clear = options.keepClear ? options.keepClear() : [];
      for (var c = 0; c < clear.length; c++) {
        var cp = map.latLngToContainerPoint(clear[c]);
        taken.push([cp.x - 10, cp.y - 10, cp.x + 10, cp.y + 10]);
      }
      // …and around the map's controls (zoom, layer switch): a name under them is unreadable.
      var origin = container.getBoundingClientRect();
      container.querySelectorAll(".leaflet-control").forEach(function (ctl) {
        if (ctl.classList.contains("leaflet-control-attribution")) return;
        var r = ctl.getBoundingClientRect();
        taken.push([r.left - origin.left - 4, r.top - origin.top - 4, r.right - origin.left + 4, r.bottom - origin.top + 4]);
      });
      var shown = 0;
      for (var i = 0; i < items.length && shown < MAX_LABELS; i++) {
        var p = items[i];
        if (zoom < MIN_ZOOM[p.kind] || zoom > (MAX_ZOOM[p.kind] || 99)) continue;
        if (!view.contains([p.lat, p.lon])) continue;
        var at = map.latLngToContainerPoint([p.lat, p.lon]);
        var centred = p.kind === "district";
        var html = (centred ? "" : '<span class="tsur-place-dot"></span>') + '<span class="tsur-place-name">' + escapeHtml(p.name) + "</span>";
        var marker = L.marker([p.lat, p.lon], {
          pane: "tsurPlaces", interactive: false, keyboard: false,
          icon: L.divIcon({ className: "tsur-place tsur-place--" + p.kind, html: html, iconSize: null })
        }).addTo(group);
        // Measured, not guessed: fonts differ between systems, and a label must never cover another.
        var icon = marker.getElement();
        var w = icon.offsetWidth, h = icon.offsetHeight;
        var dx = centred ? w / 2 : 5, dy = h / 2;
        icon.style.marginLeft = -dx + "px";
        icon.style.marginTop = -dy + "px";
        var box = [at.x - dx - 2, at.y - dy, at.x - dx + w + 2, at.y - dy + h];
        if (box[0] < 0 || box[1] < 0 || box[2] > size.x || box[3] > bottom || overlaps(box, taken)) { group.removeLayer(marker); continue; }
        taken.push(box);
        shown++;
      }
      container.setAttribute("data-places-shown", String(shown));
    }

    group.redraw = redraw;  // for a page that adds a control later (the control must stay readable)
    load(url).then(function (data) {
      if (!data || !data.places) { container.setAttribute("data-places-state", "unavailable"); return; }
      items = data.places.filter(function (p) { return MIN_ZOOM[p.kind] !== undefined && isFinite(p.lat) && isFinite(p.lon); });
      items.sort(function (a, b) { return (ORDER[a.kind] - ORDER[b.kind]) || (a.name < b.name ? -1 : 1); });
      if (map.attributionControl) {
        if (data.attribution) map.attributionControl.addAttribution(data.attribution);
        // Maps that draw the configured boundaries without the boundaries file owe their credit too.
        if (options.boundariesCredit && data.boundaries_attribution) map.attributionControl.addAttribution(data.boundaries_attribution);
      }
      map.on("zoomend moveend", redraw);
      group.on("add", redraw);
      redraw();
      container.setAttribute("data-places-state", "ready");
    });
    return group;
  }

  /* The pane for the appeal's own point: above the labels, so no name ever hides it. */
  function pointPane(map) {
    if (!map.getPane("tsurPoint")) map.createPane("tsurPoint").style.zIndex = 620;
    return "tsurPoint";
  }

  window.TsurMapLayers = { base: base, places: places, load: load, pointPane: pointPane };
})();
