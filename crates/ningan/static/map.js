// ningan workbench maps (Leaflet): the base layer every map shares, exposure places as
// clustered markers, a control zone's outline with its gates, drawing a zone point by
// point down to street scale, layers fetched per viewport (risk points), picking a place,
// and rates per district. The frame's #map-config says which base layer and where the
// viewer's own area is; without a tile server the districts and the generated streets are
// drawn from the server's own GeoJSON, offline.
(function () {
  "use strict";

  var cfg = {};
  try { cfg = JSON.parse(document.getElementById("map-config").textContent); } catch (e) { cfg = {}; }
  var texts = cfg.texts || {};
  var LEVEL_COLOURS = { sealed: "#b3261e", controlled: "#c77700", precaution: "#1c4f8a" };
  var CITY = [[28.85, 120.9], [30.4, 122.3]];

  var cache = {};
  function load(url) {
    if (!cache[url]) cache[url] = fetch(url).then(function (r) { return r.json(); });
    return cache[url];
  }

  function goHome(map) {
    var home = cfg.home;
    if (home && home.center) map.setView(home.center, home.zoom);
    else if (home && home.bounds) map.fitBounds(home.bounds);
    else map.fitBounds(CITY);
  }

  // A map with the base layer; `fit` (a Leaflet bounds) overrides the viewer's home view.
  function baseMap(el, fit, options) {
    var map = L.map(el, Object.assign({ preferCanvas: true, maxZoom: cfg.maxZoom || 19, zoomSnap: 0.5 }, options || {}));
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    if (cfg.tiles) {
      L.tileLayer(cfg.tiles, { attribution: cfg.attribution || "", maxZoom: cfg.maxZoom || 19 }).addTo(map);
    } else {
      el.classList.add("map-offline");
      load(cfg.outline).then(function (geo) {
        L.geoJSON(geo, { interactive: false, style: { color: "#8a9bb0", weight: 1.5, fillColor: "#f6f3ea", fillOpacity: 1 } })
          .addTo(map).bringToBack();
        return load(cfg.roads);
      }).then(function (roads) {
        var streets = L.geoJSON(roads, {
          style: function (f) {
            return f.properties["class"] === "arterial" ? { color: "#e8b04a", weight: 4, opacity: 0.9 } : { color: "#b9c0c8", weight: 2, opacity: 0.9 };
          },
          onEachFeature: function (f, layer) {
            layer.bindTooltip(cfg.english ? f.properties.name_en : f.properties.name, { sticky: true });
          }
        });
        // The whole city's streets would paint it solid: they show from district scale in.
        var show = function () {
          if (map.getZoom() >= 11.5) { if (!map.hasLayer(streets)) streets.addTo(map); }
          else if (map.hasLayer(streets)) map.removeLayer(streets);
        };
        map.on("zoomend", show);
        show();
      });
    }
    var place = function () {
      if (fit) map.fitBounds(fit, { maxZoom: 17, padding: [20, 20] });
      else goHome(map);
    };
    place();
    // A map inside a closed <details> has no size until it opens.
    var details = el.closest("details");
    if (details) details.addEventListener("toggle", function () { if (details.open) { map.invalidateSize(); place(); } });
    var HomeControl = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var b = L.DomUtil.create("button", "map-home");
        b.type = "button";
        b.textContent = "⌂";
        b.title = texts.home || "";
        b.setAttribute("aria-label", texts.home || "home");
        L.DomEvent.on(b, "click", function (e) { L.DomEvent.stop(e); goHome(map); });
        return b;
      }
    });
    new HomeControl().addTo(map);
    return map;
  }

  function escapeHtml(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function dot(colour) {
    return L.divIcon({ className: "map-dot", html: '<span style="background:' + colour + '"></span>', iconSize: [16, 16], iconAnchor: [8, 8] });
  }

  function rings(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return [geometry.coordinates[0]];
    if (geometry.type === "MultiPolygon") return geometry.coordinates.map(function (p) { return p[0]; });
    return [];
  }

  function latlngs(ring) { return ring.map(function (p) { return [p[1], p[0]]; }); }

  // Exposure places: data-points holds [{name, lon, lat, from, to}]. Places close together
  // form a cluster that opens as the map zooms in, so none hides another.
  function drawPoints(root) {
    root.querySelectorAll("[data-points]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var points;
      try { points = JSON.parse(el.dataset.points); } catch (e) { return; }
      var located = points.filter(function (p) { return p.lat != null && p.lon != null; });
      var fit = located.length ? L.latLngBounds(located.map(function (p) { return [p.lat, p.lon]; })) : null;
      var map = baseMap(el, fit);
      var group = L.markerClusterGroup ? L.markerClusterGroup({ maxClusterRadius: 40 }) : L.layerGroup();
      located.forEach(function (p) {
        var m = L.marker([p.lat, p.lon], { icon: dot("#c0392b"), title: p.name });
        m.bindPopup("<strong>" + escapeHtml(p.name) + "</strong><br>" + escapeHtml((p.from || "") + " — " + (p.to || "")));
        group.addLayer(m);
      });
      group.addTo(map);
      el.dataset.drawn = "1";
      el.dataset.markers = String(located.length);
    });
  }

  // A control zone: data-zone holds {geometry, level, points}.
  function drawZones(root) {
    root.querySelectorAll("[data-zone]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var z;
      try { z = JSON.parse(el.dataset.zone); } catch (e) { return; }
      var outline = rings(z.geometry).map(latlngs);
      var fit = outline.length ? L.latLngBounds([].concat.apply([], outline)) : null;
      var map = baseMap(el, fit);
      outline.forEach(function (r) {
        L.polygon(r, { color: LEVEL_COLOURS[z.level] || "#333", weight: 3, fillOpacity: 0.12 }).addTo(map);
      });
      (z.points || []).forEach(function (p) {
        if (p.lat == null || p.lon == null) return;
        L.marker([p.lat, p.lon], { icon: dot("#333"), title: p.name }).bindTooltip(escapeHtml(p.name)).addTo(map);
      });
      el.dataset.drawn = "1";
    });
  }

  // Area of a small lon/lat ring in square metres (flat Earth is exact enough for a compound).
  function areaM2(points) {
    if (points.length < 3) return 0;
    var lat0 = points[0][1] * Math.PI / 180, m = 111320, s = 0;
    for (var i = 0; i < points.length; i++) {
      var a = points[i], b = points[(i + 1) % points.length];
      s += (a[0] * Math.cos(lat0) * m) * (b[1] * m) - (b[0] * Math.cos(lat0) * m) * (a[1] * m);
    }
    return Math.abs(s) / 2;
  }

  // Drawing a zone: each click adds a boundary point; the textarea named by data-draw
  // receives the closed GeoJSON polygon. Undo and clear sit on the map.
  function drawDrawing(root) {
    root.querySelectorAll("[data-draw]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var target = document.getElementById(el.dataset.draw);
      var points = [];
      var map = baseMap(el, null, { doubleClickZoom: false });
      // data-shape="line": a road to close, drawn point by point, not a closed area.
      var line = el.dataset.shape === "line";
      var shape = (line ? L.polyline([], { color: "#b3261e", weight: 5 }) : L.polygon([], { color: "#b3261e", weight: 2, fillOpacity: 0.15 })).addTo(map);
      var corners = L.layerGroup().addTo(map);
      var info = L.control({ position: "bottomleft" });
      var box;
      info.onAdd = function () {
        box = L.DomUtil.create("div", "map-draw-info");
        L.DomEvent.disableClickPropagation(box);
        box.innerHTML = '<p class="map-hint"></p><button type="button" data-act="undo"></button> <button type="button" data-act="clear"></button>';
        box.querySelector("p").textContent = texts.hint || "";
        box.querySelector('[data-act="undo"]').textContent = texts.undo || "undo";
        box.querySelector('[data-act="clear"]').textContent = texts.clear || "clear";
        L.DomEvent.on(box.querySelector('[data-act="undo"]'), "click", function () { points.pop(); render(); });
        L.DomEvent.on(box.querySelector('[data-act="clear"]'), "click", function () { points = []; render(); });
        return box;
      };
      info.addTo(map);
      var render = function () {
        shape.setLatLngs(points.map(function (p) { return [p[1], p[0]]; }));
        corners.clearLayers();
        points.forEach(function (p) { L.circleMarker([p[1], p[0]], { radius: 4, color: "#b3261e", fillOpacity: 1 }).addTo(corners); });
        var ring = points.length > 2 ? points.concat([points[0]]) : [];
        if (target && line) target.value = points.length ? JSON.stringify({ type: "LineString", coordinates: points }) : "";
        else if (target) target.value = ring.length ? JSON.stringify({ type: "Polygon", coordinates: [ring] }) : "";
        var hint = box && box.querySelector("p");
        if (hint && line) hint.textContent = texts.hint_line || texts.hint || "";
        else if (hint) {
          var a = areaM2(points);
          hint.textContent = points.length > 2 ? (texts.area || "") + " " + Math.round(a).toLocaleString() + " m²" : (texts.hint || "");
        }
        el.dataset.points = String(points.length);
      };
      // A polygon typed or pasted into the textarea is shown too.
      if (target && target.value) {
        try {
          var given = JSON.parse(target.value);
          if (given.type === "LineString") points = given.coordinates.slice();
          else {
            var r = rings(given)[0] || [];
            points = r.slice(0, r.length > 1 && r[0][0] === r[r.length - 1][0] && r[0][1] === r[r.length - 1][1] ? -1 : r.length);
          }
          if (points.length) map.fitBounds(points.map(function (p) { return [p[1], p[0]]; }), { maxZoom: 17 });
        } catch (e) { points = []; }
      }
      map.on("click", function (e) {
        points.push([Math.round(e.latlng.lng * 1e6) / 1e6, Math.round(e.latlng.lat * 1e6) / 1e6]);
        render();
      });
      render();
      el.dataset.drawn = "1";
      el._map = map;
    });
  }

  // A layer fetched per viewport: data-layer is the URL; the server answers with either
  // clusters (count, open, overdue) or points (id, state, overdue), from its spatial index.
  var WATER_KINDS = ["river_steps", "pond", "reservoir", "pit", "beach"];
  var STATE_COLOURS = { found: "#b3261e", assigned: "#c77700", rectified: "#1c4f8a", verified: "#2e7d32", closed: "#2e7d32" };
  function drawLayers(root) {
    root.querySelectorAll("[data-layer]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var map = baseMap(el, null);
      var group = L.layerGroup().addTo(map);
      var seq = 0;
      var refresh = function () {
        var b = map.getBounds();
        var url = el.dataset.layer + (el.dataset.layer.indexOf("?") < 0 ? "?" : "&") +
          "bbox=" + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(",") +
          "&zoom=" + map.getZoom();
        var mine = ++seq;
        fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (layer) {
          if (mine !== seq) return;
          group.clearLayers();
          (layer.clusters || []).forEach(function (c) {
            var size = Math.min(48, 18 + Math.round(Math.log(c.count + 1) * 4));
            var colour = c.overdue ? "#000" : (c.open ? "#c77700" : "#2e7d32");
            var badge = document.createElement("span");
            badge.textContent = String(c.count);
            badge.style.background = colour;
            badge.style.width = badge.style.height = badge.style.lineHeight = size + "px";
            var icon = L.divIcon({ className: "cluster", iconSize: [size, size], html: badge });
            L.marker([c.lat, c.lon], { icon: icon, title: String(c.count) })
              .on("click", function () { map.setView([c.lat, c.lon], Math.min(map.getZoom() + 2, cfg.maxZoom || 19)); })
              .addTo(group);
          });
          (layer.points || []).forEach(function (p) {
            // Fill by state; water points ringed in blue, overdue ones in black.
            var water = WATER_KINDS.indexOf(p.kind) >= 0;
            var m = L.circleMarker([p.lat, p.lon], { radius: water ? 7 : 6, weight: p.overdue ? 3 : 2,
              color: p.overdue ? "#000" : (water ? "#1565c0" : "#fff"), fillColor: STATE_COLOURS[p.state] || "#666", fillOpacity: 0.9 });
            m.bindTooltip(escapeHtml(p.label || ""));
            m.on("click", function () { window.location.href = "/life/points/" + p.id; });
            m.addTo(group);
          });
          el.dataset.total = String(layer.total);
          el.dataset.markers = String((layer.clusters || []).length + (layer.points || []).length);
        }).catch(function () { /* the next move tries again */ });
      };
      map.on("moveend", refresh);
      el.dataset.drawn = "1";
      el._map = map;
      refresh();
    });
  }

  // Picking a place: data-pick="lonInputId,latInputId"; a click sets both and moves the pin.
  function drawPicks(root) {
    root.querySelectorAll("[data-pick]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var ids = el.dataset.pick.split(",");
      var lonIn = document.getElementById(ids[0]);
      var latIn = document.getElementById(ids[1]);
      if (!lonIn || !latIn) return;
      var have = parseFloat(lonIn.value) && parseFloat(latIn.value);
      var map = baseMap(el, have ? L.latLngBounds([[+latIn.value, +lonIn.value], [+latIn.value, +lonIn.value]]) : null, {});
      var pin = null;
      var place = function (lat, lon) {
        if (pin) pin.setLatLng([lat, lon]); else pin = L.marker([lat, lon], { icon: dot("#b3261e") }).addTo(map);
      };
      if (have) place(+latIn.value, +lonIn.value);
      // A place found by name (or typed in) moves the pin and the view.
      var typed = function () {
        var lat = parseFloat(latIn.value), lon = parseFloat(lonIn.value);
        if (!isFinite(lat) || !isFinite(lon)) return;
        place(lat, lon);
        map.setView([lat, lon], Math.max(map.getZoom(), 15));
      };
      lonIn.addEventListener("change", typed);
      latIn.addEventListener("change", typed);
      map.on("click", function (e) {
        lonIn.value = (Math.round(e.latlng.lng * 1e6) / 1e6).toFixed(6);
        latIn.value = (Math.round(e.latlng.lat * 1e6) / 1e6).toFixed(6);
        place(e.latlng.lat, e.latlng.lng);
      });
      el.dataset.drawn = "1";
    });
  }

  // Rates per district (data-rates: [{name, lon, lat, rate, low, high, n}]), each a labelled dot.
  function drawRates(root) {
    root.querySelectorAll("[data-rates]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var rows;
      try { rows = JSON.parse(el.dataset.rates); } catch (e) { return; }
      var map = baseMap(el, null);
      rows.forEach(function (r) {
        var colour = r.rate >= 95 ? "#2e7d32" : (r.rate >= 90 ? "#c77700" : "#b3261e");
        L.circleMarker([r.lat, r.lon], { radius: 14, color: "#fff", fillColor: colour, fillOpacity: 0.9 })
          .bindTooltip(escapeHtml(r.name) + " " + r.rate + "% (" + r.low + "–" + r.high + "%, n=" + r.n + ")", { permanent: true, direction: "right" })
          .addTo(map);
      });
      el.dataset.drawn = "1";
      el.dataset.markers = String(rows.length);
    });
  }

  // An emergency's situation (data-situation: the map API's URL), fetched again every few
  // seconds: warning areas by level, shelters as circles labelled with their occupancy,
  // compounds with households still to move, closed roads, rescues. The element carries
  // the people in shelters and the households outstanding, for whoever watches it.
  var WARNING_COLOURS = { blue: "#1c4f8a", yellow: "#d4a900", orange: "#c77700", red: "#b3261e" };
  function drawSituation(root) {
    root.querySelectorAll("[data-situation]").forEach(function (el) {
      if (el.dataset.drawn) return;
      el.dataset.drawn = "1";
      var map = baseMap(el, null);
      var layer = L.layerGroup().addTo(map);
      var fitted = false;
      var refresh = function () {
        if (document.hidden && fitted) return;
        fetch(el.dataset.situation, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); }).then(function (d) {
          layer.clearLayers();
          var bounds = [];
          d.warnings.forEach(function (w) {
            var ll = latlngs(w.ring);
            bounds = bounds.concat(ll);
            L.polygon(ll, { color: WARNING_COLOURS[w.level] || "#b3261e", weight: 2, fillOpacity: 0.08 }).bindTooltip(escapeHtml(w.area_name)).addTo(layer);
          });
          d.compounds.forEach(function (c) {
            if (!c[2]) return;
            L.circleMarker([c[1], c[0]], { radius: 3 + Math.min(6, c[2]), color: "#b3261e", weight: 1, fillOpacity: 0.5 })
              .bindTooltip((texts.to_move || "") + " " + c[2] + "/" + c[3]).addTo(layer);
          });
          d.closures.forEach(function (c) {
            c.lines.forEach(function (l) { L.polyline(latlngs(l), { color: "#111", weight: 6, dashArray: "6 4" }).bindTooltip(escapeHtml(c.name)).addTo(layer); });
          });
          d.rescues.forEach(function (r) {
            L.marker([r.lat, r.lon], { icon: dot("#6a1b9a") }).bindTooltip(escapeHtml(r.no)).addTo(layer);
          });
          // data-kind="posts": a security plan's posts, where full is good (officers at
          // their post) and empty is the alarm; shelters are the other way round.
          var posts = el.dataset.kind === "posts";
          d.shelters.forEach(function (s) {
            var full = s.capacity ? s.occupancy / s.capacity : 0;
            var colour = posts ? (full >= 1 ? "#2e7d32" : (full > 0 ? "#c77700" : "#b3261e"))
              : (full >= 0.9 ? "#b3261e" : (full >= 0.6 ? "#c77700" : "#2e7d32"));
            var m = L.circleMarker([s.lat, s.lon], { radius: 7 + Math.round(10 * Math.min(1, full)), color: "#fff", weight: 2, fillColor: colour, fillOpacity: 0.9 })
              .bindTooltip(escapeHtml(s.name) + " " + s.occupancy + "/" + s.capacity, { permanent: posts || s.occupancy > 0, direction: "right", className: "shelter-label" })
              .addTo(layer);
            m.on("click", function () { if (el.dataset.desk) window.location.href = el.dataset.desk + s.id; });
          });
          el.dataset.sheltered = String(d.in_shelters);
          el.dataset.outstanding = String(d.outstanding);
          var count = document.querySelector("[data-testid=map-sheltered]");
          if (count) count.textContent = String(d.in_shelters);
          if (!fitted && bounds.length) { map.fitBounds(bounds, { padding: [20, 20] }); fitted = true; }
        }).catch(function () { /* the next round tries again */ });
      };
      refresh();
      setInterval(refresh, (+el.dataset.every || 5) * 1000);
    });
  }

  // A form that wants where its user stands (an officer checking in at a post):
  // data-geolocate names the longitude and latitude inputs, filled from the device when it
  // allows; otherwise the user picks the place on the form's map.
  function fillPosition(root) {
    root.querySelectorAll("[data-geolocate]").forEach(function (form) {
      if (form.dataset.located || !navigator.geolocation) return;
      form.dataset.located = "1";
      var ids = form.dataset.geolocate.split(",");
      var lonIn = document.getElementById(ids[0]), latIn = document.getElementById(ids[1]);
      if (!lonIn || !latIn || lonIn.value || latIn.value) return;
      navigator.geolocation.getCurrentPosition(function (p) {
        lonIn.value = p.coords.longitude.toFixed(6);
        latIn.value = p.coords.latitude.toFixed(6);
        lonIn.dispatchEvent(new Event("change"));
      }, function () { /* refused or unavailable: the map is there */ }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  // For the pages' own scripts (the live board).
  window.ningan = { baseMap: baseMap, escapeHtml: escapeHtml, dot: dot };

  function init(root) {
    if (!window.L) return;
    drawPoints(root);
    drawZones(root);
    drawDrawing(root);
    drawLayers(root);
    drawPicks(root);
    drawRates(root);
    drawSituation(root);
    fillPosition(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
