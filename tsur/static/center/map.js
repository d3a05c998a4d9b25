/* The situation center's map: municipal boundaries (vector, no tiles needed), appeals clustered,
   older appeals beyond the cap as H3-cell counts, points of tension as circles coloured by state
   over a heat layer weighted by their score. Data: the page's data-data-url (JSON). */
(function () {
  "use strict";

  function init() {
    var block = document.querySelector("[data-center-map]");
    if (!block || !window.L || block.getAttribute("data-map-state")) return;

    var el = document.getElementById("center-map");
    var noteEl = block.querySelector("[data-map-note]");
    var cardUrl = block.getAttribute("data-card-url");
    var tiles = block.getAttribute("data-tiles");
    var STATE_COLOURS = { "new": "#d32f2f", growing: "#ef6c00", stable: "#8e24aa", easing: "#1e88e5", resolved: "#757575" };

    // maxZoom: without a tile layer nothing else sets it, and clustering needs it.
    var map = L.map(el, { zoomSnap: 0.25, preferCanvas: true, maxZoom: 18 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    el.tsurMap = map;  // for the browser tests
    block.setAttribute("data-map-state", "loading");

    var bounds = (block.getAttribute("data-bounds") || "").split(",").map(Number);
    if (bounds.length === 4 && bounds.every(isFinite)) {
      map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], { animate: false });
    } else {
      map.setView([55.75, 37.62], 6);
    }
    var overlays = {};
    var bases = {};
    // The layers every map shares (maps/layers.js): the optional tiles, and the places to orient by.
    var shared = window.TsurMapLayers;
    if (shared) {
      var base = shared.base(map, tiles, block.getAttribute("data-tiles-attribution"));
      if (base) bases["Подложка"] = base;
      overlays["Населённые пункты и улицы"] = shared.places(map, block.getAttribute("data-places-url"), { boundariesCredit: true });
    }

    function text(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
    function say(s) { noteEl.textContent = s; }
    function fmtDate(iso) {
      var d = new Date(iso);
      return d.toLocaleString("ru-RU", { timeZone: "Europe/Moscow", day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
    }

    /* Boundaries: the same GeoJSON the resident form draws. */
    var boundaries = L.geoJSON(null, {
      style: function () { return { color: "#37474f", weight: 1.2, fillColor: "#eceff1", fillOpacity: 0.35 }; },
      onEachFeature: function (f, layer) { if (f.properties && f.properties.name) layer.bindTooltip(f.properties.name, { sticky: true }); }
    }).addTo(map);
    overlays["Границы муниципальных образований"] = boundaries;
    fetch(block.getAttribute("data-boundaries-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (gj) {
        if (!gj) return;
        boundaries.addData(gj);
        boundaries.bringToBack();
        block.setAttribute("data-boundaries-drawn", String(gj.features.length));
      })
      .catch(function () { /* boundaries are optional: the points still show */ });

    var cluster = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50 });
    var cellsLayer = L.layerGroup();
    var pointsLayer = L.layerGroup();
    var heat = null;

    function appealMarker(row, fields, statuses) {
      var a = {};
      for (var i = 0; i < fields.length; i++) a[fields[i]] = row[i];
      var m = L.circleMarker([a.lat, a.lon], { radius: 6, weight: 1.5, color: "#ffffff", fillColor: "#1565c0", fillOpacity: 0.9 });
      var href = cardUrl.replace("NUMBER", encodeURIComponent(a.number));
      m.bindPopup(
        '<div class="map-popup"><a href="' + href + '" data-testid="map-appeal-link"><strong>№ ' + text(a.number) + "</strong></a><br>" +
        text(a.category || "Категория не определена") + "<br>" + text(statuses[a.status] || a.status) + "<br>" +
        '<span class="muted">' + text(fmtDate(a.received_at)) + "</span></div>"
      );
      return m;
    }

    function cellLayer(c) {
      var poly = L.polygon(c.outline, { color: "#5d4037", weight: 1, fillColor: "#8d6e63", fillOpacity: Math.min(0.15 + Math.log(1 + c.count) / 12, 0.7) });
      poly.bindTooltip("Более ранних обращений на участке: " + c.count.toLocaleString("ru-RU"), { sticky: true });
      return poly;
    }

    function pointLayer(p, maxScore) {
      var colour = STATE_COLOURS[p.state] || "#616161";
      var radius = 10 + 18 * (maxScore > 0 ? p.score / maxScore : 0);
      var m = L.circleMarker([p.lat, p.lon], { radius: radius, weight: 2.5, color: colour, fillColor: colour, fillOpacity: 0.35, className: "tension-point" });
      m.bindPopup(
        '<div class="map-popup"><a href="' + text(p.url) + '" data-testid="map-point-link"><strong>' + text(p.title) + "</strong></a><br>" +
        '<span class="state-chip" style="background:' + colour + '">' + text(p.state_label) + "</span> оценка " + text(p.score_label) + "<br>" +
        text(p.explanation) + "</div>",
        { maxWidth: 360 }
      );
      m.on("dblclick", function () { window.location.href = p.url; });
      return m;
    }

    /* Monitoring events: their own marker per source kind, grey once resolved. */
    var EVENT_MARKS = { camera: "К", call112: "112", housing: "Ж", sensor: "Д" };
    var eventsLayer = L.layerGroup();
    function eventLayer(e) {
      var mark = EVENT_MARKS[e.source_kind] || "•";
      var icon = L.divIcon({
        className: "ev-marker ev-marker-" + e.source_kind + " ev-marker-" + e.state,
        html: "<span>" + text(mark) + "</span>", iconSize: [26, 26], iconAnchor: [13, 13], popupAnchor: [0, -12]
      });
      var m = L.marker([e.lat, e.lon], { icon: icon, title: e.kind, riseOnHover: true });
      m.bindPopup(
        '<div class="map-popup"><a href="' + text(e.url) + '" data-testid="map-event-link"><strong>' + text(e.title) + "</strong></a><br>" +
        text(e.kind) + "<br>" + text(e.source) + "<br>" + (e.address ? text(e.address) + "<br>" : "") +
        text(e.state_label) + ", " + text(fmtDate(e.occurred_at)) + (e.resolved_at ? " — устранено " + text(fmtDate(e.resolved_at)) : "") + "</div>",
        { maxWidth: 340 }
      );
      return m;
    }

    fetch(block.getAttribute("data-data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        var d = res.body;
        if (!res.ok) { say(d.error || "Не удалось загрузить данные карты."); block.setAttribute("data-map-state", "error"); return; }
        var markers = [];
        for (var i = 0; i < d.appeals.length; i++) markers.push(appealMarker(d.appeals[i], d.appeal_fields, d.statuses));
        cluster.addLayers(markers);
        for (var j = 0; j < d.cells.length; j++) cellsLayer.addLayer(cellLayer(d.cells[j]));
        var maxScore = 0, heatPoints = [];
        d.points.forEach(function (p) { if (p.score !== null && p.score > maxScore) maxScore = p.score; });
        /* A score beyond what the server can write (null) is the strongest there is. */
        d.points.forEach(function (p) { if (p.score === null) p.score = maxScore || 1; });
        d.points.forEach(function (p) {
          pointsLayer.addLayer(pointLayer(p, maxScore));
          heatPoints.push([p.lat, p.lon, maxScore > 0 ? p.score / maxScore : 0.5]);
        });
        cellsLayer.addTo(map);
        cluster.addTo(map);
        overlays["Обращения"] = cluster;
        overlays["Более ранние обращения (числом по участкам)"] = cellsLayer;
        if (L.heatLayer) {
          heat = L.heatLayer(heatPoints, { radius: 35, blur: 25, maxZoom: 12, minOpacity: 0.3 }).addTo(map);
          overlays["Тепловая карта напряжённости"] = heat;
        }
        pointsLayer.addTo(map);
        overlays["Точки напряжённости"] = pointsLayer;
        (d.events || []).forEach(function (e) { eventsLayer.addLayer(eventLayer(e)); });
        eventsLayer.addTo(map);
        overlays["События мониторинга"] = eventsLayer;
        L.control.layers(bases, overlays, { collapsed: false }).addTo(map);
        var placesLayer = overlays["Населённые пункты и улицы"];
        if (placesLayer && placesLayer.redraw) placesLayer.redraw();
        var note = d.note;
        note += " Точек напряжённости на карте: " + d.points.length.toLocaleString("ru-RU") + ".";
        if (d.events && d.events.length) note += " Событий мониторинга (действующие и устранённые за 3 суток): " + d.events.length.toLocaleString("ru-RU") + ".";
        say(note);
        block.setAttribute("data-map-state", "ready");
        block.setAttribute("data-appeals-drawn", String(markers.length));
        block.setAttribute("data-points-drawn", String(d.points.length));
        block.setAttribute("data-events-drawn", String((d.events || []).length));
      })
      .catch(function (e) {
        say("Не удалось загрузить данные карты. Обновите страницу.");
        block.setAttribute("data-map-state", "error");
        if (window.console) console.error(e);
      });
  }

  init();
  /* The shared filter form swaps the page's main part through HTMX: draw the new map then. */
  document.addEventListener("htmx:afterSettle", init);
})();
