/* Optional map on the appeal form: vector municipal boundaries (no tile server by default), a click
   sets the point. Without JavaScript or without the boundaries file the address fields are enough. */
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
  var tiles = block.getAttribute("data-tiles");
  var features = [];
  var marker = null;
  var territoryFromMap = false;

  block.hidden = false;
  block.setAttribute("data-map-state", "loading");
  var map = L.map(el, { zoomSnap: 0.25, keyboard: true });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  el.tsurMap = map;  // for the browser tests and for host pages that want to adjust the view

  var bounds = (block.getAttribute("data-bounds") || "").split(",").map(Number);
  if (bounds.length === 4 && bounds.every(isFinite)) {
    map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], { animate: false });
  } else {
    map.setView([55.75, 37.62], 6);
  }
  if (tiles) {
    L.tileLayer(tiles, { attribution: block.getAttribute("data-tiles-attribution") || "", maxZoom: 19 }).addTo(map);
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

  function say(text) { statusEl.textContent = text; }

  function setPoint(latlng, quiet) {
    var feature = features.length ? featureAt(latlng) : null;
    if (features.length && !feature) {
      say("Эта точка за пределами региона. Выберите место внутри границ на карте.");
      return false;
    }
    if (marker) marker.setLatLng(latlng);
    else marker = L.circleMarker(latlng, { radius: 9, weight: 3, color: "#ffffff", fillColor: "#c62828", fillOpacity: 1 }).addTo(map);
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
    clearBtn.hidden = false;
    var name = feature && feature.properties ? feature.properties.name : "";
    var code = feature && feature.properties ? feature.properties.code : "";
    if (territory && code && hasOption(territory, code) && (!territory.value || territoryFromMap)) {
      territory.value = code;
      territoryFromMap = true;
    }
    if (!quiet) say("Точка выбрана" + (name ? ": " + name : "") + " (" + latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5) + ").");
    return true;
  }

  function clearPoint() {
    if (marker) { map.removeLayer(marker); marker = null; }
    latInput.value = "";
    lonInput.value = "";
    clearBtn.hidden = true;
    if (territoryFromMap && territory) { territory.value = ""; territoryFromMap = false; }
    say("Точка не выбрана.");
  }

  map.on("click", function (e) { setPoint(e.latlng); });
  el.addEventListener("keydown", function (e) {
    if (e.target !== el || (e.key !== "Enter" && e.key !== " ")) return;
    e.preventDefault();
    setPoint(map.getCenter());
  });
  clearBtn.addEventListener("click", clearPoint);
  if (territory) territory.addEventListener("change", function () { territoryFromMap = false; });

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
      if (!setPoint(ll)) {
        // Keep what the resident chose; the server has already said what is wrong with it.
        marker = L.circleMarker(ll, { radius: 9, weight: 3, color: "#ffffff", fillColor: "#c62828", fillOpacity: 1 }).addTo(map);
        latInput.value = lat; lonInput.value = lon; clearBtn.hidden = false;
      }
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
        style: function () { return { color: "#2f5d9e", weight: 1.5, fillColor: "#dfe9f7", fillOpacity: 0.55 }; },
        onEachFeature: function (f, lyr) {
          if (f.properties && f.properties.name) lyr.bindTooltip(f.properties.name, { sticky: true, direction: "top" });
          lyr.on("mouseover", function () { lyr.setStyle({ fillColor: "#c4d7f2" }); });
          lyr.on("mouseout", function () { lyr.setStyle({ fillColor: "#dfe9f7" }); });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [8, 8], animate: false });
      map.setMaxBounds(layer.getBounds().pad(0.5));
      block.setAttribute("data-map-state", "ready");
      restore();
    })
    .catch(unavailable);
})();
