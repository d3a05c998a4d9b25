/* Optional map on the appeal form: vector municipal boundaries (no tile server by default) with the
   shipped settlements as labels (tsur/static/maps/layers.js), a click sets the point. Choosing a
   territory zooms to it; a point outside the chosen territory is questioned at once (the server
   refuses the pair too unless the resident confirms it). Without JavaScript or without the
   boundaries file the address fields are enough. */
(function () {
  "use strict";
  var block = document.querySelector("[data-map-block]");
  if (!block || !window.L) return;

  var el = block.querySelector("#map");
  var latInput = document.getElementById("id_lat");
  var lonInput = document.getElementById("id_lon");
  var statusEl = block.querySelector("[data-map-status]");
  var clearBtn = block.querySelector("[data-map-clear]");
  var locateBtn = block.querySelector("[data-map-locate]");
  var territory = document.getElementById("id_territory");
  var warning = document.querySelector("[data-place-warning]");
  var warningText = warning && warning.querySelector("[data-place-warning-text]");
  var pickBtn = warning && warning.querySelector("[data-place-pick]");
  var confirmBox = document.getElementById("id_point_confirmed");
  var tiles = block.getAttribute("data-tiles");
  var layers = window.TsurMapLayers;
  var features = [];
  var boundaryLayers = {};  // code → the Leaflet layer of that municipal formation
  var highlighted = null;
  var marker = null;
  var territoryFromMap = false;

  var BOUNDARY = { color: "#2f5d9e", weight: 1.5, fillColor: "#dfe9f7", fillOpacity: 0.55 };
  var CHOSEN = { color: "#0d3c78", weight: 3, fillColor: "#c4d7f2", fillOpacity: 0.45 };

  block.hidden = false;
  block.setAttribute("data-map-state", "loading");
  var map = L.map(el, { zoomSnap: 0.25, keyboard: true, maxZoom: 18 });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  el.tsurMap = map;  // for the browser tests and for host pages that want to adjust the view

  var bounds = (block.getAttribute("data-bounds") || "").split(",").map(Number);
  if (bounds.length === 4 && bounds.every(isFinite)) {
    map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], { animate: false });
  } else {
    map.setView([55.75, 37.62], 6);
  }
  var pointPane = "markerPane";
  if (layers) {
    layers.base(map, tiles, block.getAttribute("data-tiles-attribution"));
    layers.places(map, block.getAttribute("data-places"), { keepClear: function () { return marker ? [marker.getLatLng()] : []; } });
    pointPane = layers.pointPane(map);
  }

  /* Ray casting on GeoJSON rings (lon, lat order). */
  function inRing(lon, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function inPolygon(lon, lat, rings) {
    if (!rings.length || !inRing(lon, lat, rings[0])) return false;
    for (var k = 1; k < rings.length; k++) if (inRing(lon, lat, rings[k])) return false;
    return true;
  }
  function featureAt(latlng) {
    for (var i = 0; i < features.length; i++) {
      var g = features[i].geometry;
      if (!g) continue;
      var polys = g.type === "MultiPolygon" ? g.coordinates : (g.type === "Polygon" ? [g.coordinates] : []);
      for (var p = 0; p < polys.length; p++) if (inPolygon(latlng.lng, latlng.lat, polys[p])) return features[i];
    }
    return null;
  }
  function hasOption(select, value) {
    if (!select || !value) return false;
    for (var i = 0; i < select.options.length; i++) if (select.options[i].value === value) return true;
    return false;
  }

  /* The chosen territory: its own name and the municipal formation it belongs to. In the select,
     each municipal formation heads its group, followed by what lies inside it. */
  function chosen() {
    if (!territory || !territory.value) return null;
    var option = territory.options[territory.selectedIndex];
    var group = option.parentNode;
    var head = group && group.tagName === "OPTGROUP" ? group.querySelector("option") : option;
    var name = head === option && group.tagName === "OPTGROUP" ? group.label : option.textContent;
    return { code: option.value, name: name, municipal: head.value };
  }

  function say(text) { statusEl.textContent = text; }

  function highlight(code) {
    if (highlighted) highlighted.setStyle(BOUNDARY);
    highlighted = boundaryLayers[code] || null;
    if (highlighted) { highlighted.setStyle(CHOSEN); highlighted.bringToFront(); }
  }

  /* Zoom to the chosen territory: a settlement with a known centre point, else its formation. */
  function zoomToChosen() {
    var c = chosen();
    highlight(c ? c.municipal : null);
    if (!c) return;
    var layer = boundaryLayers[c.municipal];
    if (layer) map.fitBounds(layer.getBounds(), { padding: [12, 12], animate: false });
    if (c.code !== c.municipal && layers) {
      layers.load(block.getAttribute("data-places")).then(function (data) {
        var places = (data && data.places) || [];
        for (var i = 0; i < places.length; i++) {
          if (places[i].code === c.code && chosen() && chosen().code === c.code) { map.setView([places[i].lat, places[i].lon], 12, { animate: false }); return; }
        }
      });
    }
  }

  /* A point outside the chosen territory: say so at once, offer the territory it lies in. */
  function checkPlace() {
    if (!warning) return;
    var c = chosen();
    var feature = marker && features.length ? featureAt(marker.getLatLng()) : null;
    var props = feature && feature.properties;
    if (!c || !props || props.code === c.municipal) {
      warning.hidden = true;
      block.removeAttribute("data-place-mismatch");
      return;
    }
    warningText.textContent = "Точка на карте стоит в «" + props.name + "», а выбрана территория «" + c.name +
      "». Передвиньте точку, выберите территорию «" + props.name + "» или подтвердите, что точка верна.";
    if (pickBtn) {
      pickBtn.hidden = !hasOption(territory, props.code);
      pickBtn.textContent = "Выбрать «" + props.name + "»";
      pickBtn.setAttribute("data-place-pick", props.code);
    }
    warning.hidden = false;
    block.setAttribute("data-place-mismatch", props.code);
  }

  function resetConfirmation() { if (confirmBox) confirmBox.checked = false; }

  function setPoint(latlng, quiet) {
    var feature = features.length ? featureAt(latlng) : null;
    if (features.length && !feature) {
      say("Эта точка за пределами региона. Выберите место внутри границ на карте.");
      return false;
    }
    if (marker) marker.setLatLng(latlng);
    else marker = L.circleMarker(latlng, { pane: pointPane, radius: 9, weight: 3, color: "#ffffff", fillColor: "#c62828", fillOpacity: 1 }).addTo(map);
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
    clearBtn.hidden = false;
    var name = feature && feature.properties ? feature.properties.name : "";
    var code = feature && feature.properties ? feature.properties.code : "";
    if (territory && code && hasOption(territory, code) && (!territory.value || territoryFromMap)) {
      territory.value = code;
      territoryFromMap = true;
      highlight(code);
    }
    if (!quiet) {
      resetConfirmation();
      say("Точка выбрана" + (name ? ": " + name : "") + " (" + latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5) + ").");
    }
    checkPlace();
    return true;
  }

  function clearPoint() {
    if (marker) { map.removeLayer(marker); marker = null; }
    latInput.value = "";
    lonInput.value = "";
    clearBtn.hidden = true;
    if (territoryFromMap && territory) { territory.value = ""; territoryFromMap = false; highlight(null); }
    resetConfirmation();
    checkPlace();
    say("Точка не выбрана.");
  }

  map.on("click", function (e) { setPoint(e.latlng); });
  el.addEventListener("keydown", function (e) {
    if (e.target !== el || (e.key !== "Enter" && e.key !== " ")) return;
    e.preventDefault();
    setPoint(map.getCenter());
  });
  clearBtn.addEventListener("click", clearPoint);
  if (territory) {
    territory.addEventListener("change", function () {
      territoryFromMap = false;
      resetConfirmation();
      if (features.length) zoomToChosen();
      checkPlace();
    });
  }
  if (pickBtn) {
    pickBtn.addEventListener("click", function () {
      var code = pickBtn.getAttribute("data-place-pick");
      if (!hasOption(territory, code)) return;
      territory.value = code;
      territoryFromMap = false;
      resetConfirmation();
      highlight(code);
      checkPlace();
      say("Выбрана территория «" + chosen().name + "».");
    });
  }

  if (locateBtn) {
    if (!navigator.geolocation) {
      locateBtn.hidden = true;
    } else {
      locateBtn.addEventListener("click", function () {
        say("Определяем местоположение…");
        navigator.geolocation.getCurrentPosition(function (pos) {
          var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
          if (setPoint(ll)) map.setView(ll, Math.max(map.getZoom(), 13));
        }, function () {
          say("Не удалось определить местоположение. Нажмите на карту или укажите адрес.");
        }, { enableHighAccuracy: true, timeout: 10000 });
      });
    }
  }

  function restore() {
    var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
    if (isFinite(lat) && isFinite(lon)) {
      var ll = L.latLng(lat, lon);
      if (!setPoint(ll, true)) {
        // Keep what the resident chose; the server has already said what is wrong with it.
        marker = L.circleMarker(ll, { pane: pointPane, radius: 9, weight: 3, color: "#ffffff", fillColor: "#c62828", fillOpacity: 1 }).addTo(map);
        latInput.value = lat; lonInput.value = lon; clearBtn.hidden = false;
      }
      if (!map.getBounds().contains(ll)) map.fitBounds(map.getBounds().extend(ll), { padding: [12, 12], animate: false });
      say("Точка выбрана (" + lat.toFixed(5) + ", " + lon.toFixed(5) + ").");
    }
  }

  function unavailable() {
    if (tiles) {
      block.setAttribute("data-map-state", "ready");
      say("Границы муниципальных образований не загрузились, но точку можно отметить.");
      restore();
      return;
    }
    map.remove();
    block.setAttribute("data-map-state", "unavailable");
    el.remove();
    block.querySelector("#map-hint").textContent = "Карта сейчас недоступна — укажите, пожалуйста, адрес и населённый пункт.";
    block.querySelector(".map-actions").hidden = true;
    say("");
    if (latInput.value && lonInput.value) say("Точка сохранена: " + latInput.value + ", " + lonInput.value + ".");
  }

  fetch(block.getAttribute("data-geojson"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(function (data) {
      features = (data && data.features) || [];
      if (!features.length) throw new Error("no features");
      var layer = L.geoJSON(data, {
        attribution: block.getAttribute("data-boundaries-attribution") || "",
        style: function () { return BOUNDARY; },
        onEachFeature: function (f, lyr) {
          if (f.properties && f.properties.code) boundaryLayers[f.properties.code] = lyr;
          if (f.properties && f.properties.name) lyr.bindTooltip(f.properties.name, { sticky: true, direction: "top" });
          lyr.on("mouseover", function () { if (lyr !== highlighted) lyr.setStyle({ fillColor: "#c4d7f2" }); });
          lyr.on("mouseout", function () { if (lyr !== highlighted) lyr.setStyle({ fillColor: BOUNDARY.fillColor }); });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [8, 8], animate: false });
      map.setMaxBounds(layer.getBounds().pad(0.5));
      if (chosen()) zoomToChosen();
      block.setAttribute("data-map-state", "ready");
      restore();
    })
    .catch(unavailable);
})();
