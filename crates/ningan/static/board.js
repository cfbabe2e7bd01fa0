// ningan's live parts in the browser: the command board (a snapshot, then the server's
// event stream moving incidents and units on the map and in the lists), an incident page
// that follows its own changes, and finding a caller's place by name on the call form.
// EventSource reconnects by itself and sends the last event id, so the server replays what
// a dropped connection missed; a `reset` (fell behind what it keeps) reloads the snapshot.
// Parts marked data-refresh-every (the opinion board, the alert list) fetch themselves again.
(function () {
  "use strict";

  var STAGE_COLOURS = { received: "#b3261e", answered: "#b3261e", dispatched: "#c77700", en_route: "#c77700", on_scene: "#1c4f8a" };
  var BUSY = { dispatched: 1, en_route: 1, on_scene: 1 };

  function json(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    });
  }

  function open(stage) { return stage !== "cleared" && stage !== "cancelled"; }

  function follow(url, after, on, status) {
    var es = new EventSource(url + "?after=" + after, { withCredentials: true });
    es.addEventListener("incident", function (e) { on.incident(JSON.parse(e.data)); });
    es.addEventListener("unit", function (e) { on.unit(JSON.parse(e.data)); });
    es.addEventListener("reset", function () { es.close(); on.reset(); });
    es.onopen = function () { status(true); };
    es.onerror = function () { status(false); };
    return es;
  }

  function unitIcon(status) {
    var colour = BUSY[status] ? "#6a1b9a" : (status === "available" ? "#2e7d32" : "#777");
    return L.divIcon({ className: "unit-icon", html: '<span style="background:' + colour + '"></span>', iconSize: [12, 12], iconAnchor: [6, 6] });
  }

  function cell(text) { var td = document.createElement("td"); td.textContent = text; return td; }

  function drawBoard(el) {
    if (el.dataset.drawn || !window.ningan) return;
    el.dataset.drawn = "1";
    var N = window.ningan;
    var labels = {};
    try { labels = JSON.parse(el.dataset.labels); } catch (e) { labels = {}; }
    var label = function (group, code) { return (labels[group] || {})[code] || code; };
    var map = N.baseMap(el.querySelector(".map"), null);
    var incidentLayer = L.layerGroup().addTo(map), unitLayer = L.layerGroup().addTo(map);
    var incidents = {}, units = {};
    var tbodyI = el.querySelector("[data-testid=board-incidents]");
    var tbodyU = el.querySelector("[data-testid=board-units]");
    var live = document.querySelector("[data-testid=board-live]");
    var es = null, received = 0;

    function counts() {
      var free = 0, busy = 0;
      Object.keys(units).forEach(function (id) {
        var s = units[id].data.status;
        if (s === "available") free++; else if (BUSY[s]) busy++;
      });
      var set = function (id, v) { var n = document.querySelector("[data-testid=" + id + "]"); if (n) n.textContent = String(v); };
      set("board-open", Object.keys(incidents).length);
      set("board-free", free);
      set("board-busy", busy);
      el.dataset.received = String(received);
    }

    function setIncident(d) {
      var cur = incidents[d.id];
      if (!open(d.stage)) {
        if (cur) { incidentLayer.removeLayer(cur.marker); cur.row.remove(); delete incidents[d.id]; }
        return;
      }
      if (!cur) {
        var row = document.createElement("tr");
        row.dataset.incident = d.id;
        var a = document.createElement("a");
        a.href = "/command/incidents/" + d.id;
        a.textContent = d.no;
        var first = document.createElement("td");
        first.appendChild(a);
        row.appendChild(first);
        row.appendChild(cell(label("categories", d.category)));
        row.appendChild(cell(label("priorities", d.priority)));
        var stage = cell("");
        stage.dataset.testid = "stage-" + d.id;
        row.appendChild(stage);
        tbodyI.insertBefore(row, tbodyI.firstChild);
        var marker = L.circleMarker([d.lat, d.lon], { radius: 8, color: "#fff", weight: 2, fillOpacity: 0.95 });
        marker.on("click", function () { window.location.href = "/command/incidents/" + d.id; });
        marker.addTo(incidentLayer);
        cur = incidents[d.id] = { row: row, marker: marker, stageCell: stage };
      }
      cur.data = d;
      cur.stageCell.textContent = label("stages", d.stage);
      cur.marker.setStyle({ fillColor: STAGE_COLOURS[d.stage] || "#666" });
      cur.marker.bindTooltip(N.escapeHtml(d.no + " " + label("categories", d.category) + " · " + label("stages", d.stage)));
    }

    function setUnit(d) {
      var cur = units[d.id];
      if (!cur) {
        cur = units[d.id] = { marker: null, row: null };
      }
      cur.data = d;
      if (d.lat != null && d.lon != null) {
        if (!cur.marker) {
          cur.marker = L.marker([d.lat, d.lon], { icon: unitIcon(d.status), keyboard: false }).addTo(unitLayer);
        } else {
          cur.marker.setLatLng([d.lat, d.lon]);
          cur.marker.setIcon(unitIcon(d.status));
        }
        cur.marker.bindTooltip(N.escapeHtml(d.callsign + " · " + label("statuses", d.status)));
      }
      if (BUSY[d.status]) {
        if (!cur.row) {
          cur.row = document.createElement("tr");
          cur.row.dataset.unit = d.id;
          cur.row.appendChild(cell(d.callsign));
          var st = cell("");
          st.dataset.testid = "unit-" + d.id;
          cur.row.appendChild(st);
          tbodyU.insertBefore(cur.row, tbodyU.firstChild);
        }
        cur.row.lastChild.textContent = label("statuses", d.status);
      } else if (cur.row) {
        cur.row.remove();
        cur.row = null;
      }
    }

    function status(ok) {
      if (!live) return;
      live.textContent = ok ? labels.live || "live" : labels.reconnecting || "…";
      live.className = "live-state " + (ok ? "ok" : "late");
    }

    function load() {
      if (es) { es.close(); es = null; }
      json(el.dataset.board).then(function (snap) {
        incidentLayer.clearLayers();
        unitLayer.clearLayers();
        tbodyI.textContent = "";
        tbodyU.textContent = "";
        incidents = {};
        units = {};
        snap.incidents.slice().reverse().forEach(setIncident);
        snap.units.forEach(function (u) { setUnit({ id: u.id, callsign: u.callsign, status: u.status, lon: u.lon, lat: u.lat, incident_id: u.incident_id }); });
        counts();
        el.dataset.head = String(snap.head);
        es = follow(el.dataset.events, snap.head, {
          incident: function (d) { received++; setIncident(d); counts(); },
          unit: function (d) { received++; setUnit(d); counts(); },
          reset: load
        }, status);
      }).catch(function () { status(false); setTimeout(load, 3000); });
    }
    load();
  }

  // An incident's page: its map of the scene, the units sent and those proposed; it follows
  // the event stream and redraws its live parts when the incident or one of its units moves.
  function drawIncident(el) {
    if (el.dataset.drawn || !window.ningan) return;
    el.dataset.drawn = "1";
    var N = window.ningan;
    var id = +el.dataset.watchIncident;
    var mapEl = el.querySelector("[data-incident-map]");
    var markers = {};
    var map = null;
    if (mapEl) {
      var pins = [];
      try { pins = JSON.parse(mapEl.dataset.incidentMap); } catch (e) { pins = []; }
      var bounds = pins.length ? L.latLngBounds(pins.map(function (p) { return [p.lat, p.lon]; })) : null;
      map = N.baseMap(mapEl, bounds);
      pins.forEach(function (p) {
        var m = p.kind === "incident"
          ? L.marker([p.lat, p.lon], { icon: N.dot("#b3261e") })
          : L.marker([p.lat, p.lon], { icon: unitIcon(p.kind === "unit" ? "dispatched" : "available") });
        m.bindTooltip(N.escapeHtml(p.label));
        m.addTo(map);
        if (p.kind !== "incident") markers[p.id] = m;
      });
      mapEl.dataset.markers = String(pins.length);
    }
    var watched = function () {
      var t = el.querySelector("[data-unit-ids]");
      return t ? t.dataset.unitIds.split(",").filter(Boolean).map(Number) : [];
    };
    var pending = false;
    var refresh = function () {
      if (pending) return;
      pending = true;
      fetch(window.location.pathname, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
        pending = false;
        var doc = new DOMParser().parseFromString(html, "text/html");
        el.querySelectorAll("[data-live]").forEach(function (part) {
          var fresh = doc.querySelector('[data-live="' + part.dataset.live + '"]');
          if (fresh) part.replaceWith(fresh);
        });
      }).catch(function () { pending = false; });
    };
    var es = new EventSource(el.dataset.events, { withCredentials: true });
    es.addEventListener("incident", function (e) {
      var d = JSON.parse(e.data);
      if (d.id === id) refresh();
    });
    es.addEventListener("unit", function (e) {
      var d = JSON.parse(e.data);
      var mine = d.incident_id === id || watched().indexOf(d.id) >= 0;
      if (!mine) return;
      if (map && d.lat != null) {
        if (markers[d.id]) markers[d.id].setLatLng([d.lat, d.lon]).setIcon(unitIcon(d.status));
        else markers[d.id] = L.marker([d.lat, d.lon], { icon: unitIcon(d.status) }).bindTooltip(N.escapeHtml(d.callsign)).addTo(map);
      }
      var badge = el.querySelector("[data-testid=unit-status-" + d.id + "]");
      if (!badge || badge.className.indexOf("badge-" + d.status) < 0) refresh();
    });
    es.addEventListener("reset", refresh);
  }

  // Finding the caller's place: the list of compounds matching what was typed; choosing one
  // fills the address and the coordinates (and so moves the pin on the pick map).
  function drawPlaceSearch(el) {
    if (el.dataset.drawn) return;
    el.dataset.drawn = "1";
    var q = el.querySelector("[data-role=q]");
    var list = el.querySelector("[data-role=results]");
    var fill = function (id, v) {
      var input = document.getElementById(id);
      if (!input) return;
      input.value = v;
      input.dispatchEvent(new Event("change"));
    };
    var go = function () {
      var text = q.value.trim();
      if (text.length < 2) return;
      json(el.dataset.placeSearch + "?q=" + encodeURIComponent(text)).then(function (found) {
        list.textContent = "";
        if (!found.length) {
          var li = document.createElement("li");
          li.textContent = list.dataset.none || "";
          list.appendChild(li);
        }
        found.forEach(function (p, i) {
          var li = document.createElement("li");
          var b = document.createElement("button");
          b.type = "button";
          b.className = "link";
          b.dataset.testid = "place-" + i;
          b.textContent = p.name + " — " + p.address;
          b.addEventListener("click", function () {
            fill(el.dataset.address, p.address);
            fill(el.dataset.lon, p.lon.toFixed(6));
            fill(el.dataset.lat, p.lat.toFixed(6));
            list.textContent = "";
          });
          li.appendChild(b);
          list.appendChild(li);
        });
      }).catch(function () { /* typed again, tried again */ });
    };
    el.querySelector("[data-role=go]").addEventListener("click", go);
    q.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); go(); }
    });
  }

  // A part of a page that keeps itself current: [data-refresh-every=SECONDS] with an id is
  // replaced by the same part of the page fetched again, while the tab is visible.
  function drawRefresh(el) {
    if (el.dataset.drawn || !el.id) return;
    el.dataset.drawn = "1";
    var secs = Math.max(5, +el.dataset.refreshEvery || 60);
    setInterval(function () {
      if (document.hidden) return;
      fetch(window.location.href, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.text() : Promise.reject(r.status);
      }).then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(el.id);
        if (!fresh) return;
        // Charts inside are drawn again by app.js: let go of the old ones first, or a wall
        // left running for days gathers dead chart instances.
        if (window.echarts) {
          el.querySelectorAll("[_echarts_instance_]").forEach(function (c) {
            var chart = echarts.getInstanceByDom(c);
            if (chart) chart.dispose();
          });
        }
        el.innerHTML = fresh.innerHTML;
        el.dispatchEvent(new CustomEvent("htmx:afterSwap", { bubbles: true }));
      }).catch(function () { /* the next round tries again */ });
    }, secs * 1000);
  }

  function init(root) {
    root.querySelectorAll("[data-refresh-every]").forEach(drawRefresh);
    if (!window.L) return;
    root.querySelectorAll("[data-board]").forEach(drawBoard);
    root.querySelectorAll("[data-watch-incident]").forEach(drawIncident);
    root.querySelectorAll("[data-place-search]").forEach(drawPlaceSearch);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
