// ningan workbench: small behaviours on top of htmx. Charts are drawn by cockpit.js-style
// inline configs: every element with data-chart holds an ECharts option as JSON.
(function () {
  "use strict";

  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var option;
      try { option = JSON.parse(el.dataset.chart); } catch (e) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  // The cockpit map: data-map holds {title, data: [{name, value}] per district, max, names
  // (Chinese → shown), stations: [{name, district, lon, lat, value}], focus, back}. The city
  // view colours the districts; a click on one drills down to its stations, sized and
  // coloured by the same figure, labels kept apart. A viewer inside a district opens on it.
  function drawMaps(root) {
    var maps = root.querySelectorAll("[data-map]");
    if (!maps.length || !window.echarts) return;
    withNingbo(function () {
      maps.forEach(function (el) {
        if (el.dataset.drawn) return;
        var cfg;
        try { cfg = JSON.parse(el.dataset.map); } catch (e) { return; }
        var chart = echarts.init(el, null, { renderer: "canvas" });
        var zhOf = {};
        Object.keys(cfg.names || {}).forEach(function (zh) { zhOf[cfg.names[zh]] = zh; });
        var visual = function (max, dim) {
          return { min: dim === undefined ? (cfg.min || 0) : 0, max: max || 1, left: "left", bottom: 10, text: [cfg.high, cfg.low], calculable: true, dimension: dim,
                   inRange: { color: ["#e0ecf8", "#1c4f8a"] } };
        };
        var city = function () {
          chart.setOption({
            tooltip: { trigger: "item", formatter: "{b}: {c}" },
            visualMap: visual(cfg.max),
            series: [{ type: "map", map: "ningbo", roam: true, name: cfg.title, nameMap: cfg.names,
                       layoutCenter: ["50%", "50%"], layoutSize: "100%",
                       label: { show: true, fontSize: 12 }, labelLayout: { hideOverlap: true }, data: cfg.data }]
          }, true);
          el.dataset.level = "city";
          delete el.dataset.district;
        };
        var district = function (zh) {
          var name = "ningbo-" + zh;
          if (!echarts.getMap(name)) {
            var features = ((ningboGeo && ningboGeo.features) || []).filter(function (f) { return f.properties.name === zh; });
            echarts.registerMap(name, { type: "FeatureCollection", features: features });
          }
          var stations = (cfg.stations || []).filter(function (s) { return s.district === zh; });
          var max = Math.max.apply(null, [1].concat(stations.map(function (s) { return s.value; })));
          chart.setOption({
            title: { text: (cfg.names[zh] || zh) + " · " + cfg.title, left: "center", top: 6, textStyle: { fontSize: 14 } },
            tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + (p.value ? p.value[2] : ""); } },
            graphic: [{ type: "text", left: 10, top: 8, style: { text: cfg.back, fill: "#1c4f8a", fontSize: 14 }, onclick: city }],
            visualMap: visual(max, 2),
            geo: { map: name, roam: true, layoutCenter: ["50%", "52%"], layoutSize: "90%",
                   itemStyle: { areaColor: "#f3f6fa", borderColor: "#7f93aa" } },
            series: [{ type: "scatter", coordinateSystem: "geo", name: cfg.title,
                       symbolSize: function (v) { return 8 + 22 * Math.sqrt(v[2] / max); },
                       label: { show: true, position: "right", fontSize: 11, formatter: function (p) { return p.name + " " + p.value[2]; } },
                       labelLayout: { hideOverlap: true },
                       data: stations.map(function (s) { return { name: s.name, value: [s.lon, s.lat, s.value] }; }) }]
          }, true);
          el.dataset.level = "district";
          el.dataset.district = zh;
        };
        chart.on("click", function (p) {
          if (el.dataset.level === "city" && p.componentSubType === "map") district(zhOf[p.name] || p.name);
        });
        if (cfg.focus) district(cfg.focus); else city();
        el.dataset.drawn = "1";
        window.addEventListener("resize", function () { chart.resize(); });
      });
    });
  }

  // Runs `draw` once the Ningbo map is registered with ECharts.
  var ningboGeo = null;
  function withNingbo(draw) {
    if (!window.echarts) return;
    if (ningboGeo) { draw(); return; }
    fetch("/static/ningbo.geojson").then(function (r) { return r.json(); }).then(function (geo) {
      ningboGeo = geo;
      if (!echarts.getMap("ningbo")) echarts.registerMap("ningbo", geo);
      draw();
    });
  }

  // The transmission graph: data-graph holds {nodes: [{id, name, tier, href, day, date, status,
  // lonlat}], links: [[a, b]], categories}; selects named data-graph-layout (force, time, map),
  // data-graph-status and data-graph-date filter and lay it out. The case always stays.
  function drawGraphs(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-graph]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var g;
      try { g = JSON.parse(el.dataset.graph); } catch (e) { return; }
      var colours = { "case": "#b3261e", close: "#e07b00", secondary: "#e8c547", companion: "#3a7bd5" };
      var tiers = { "case": 0, close: 1, secondary: 2, companion: 3 };
      var chart = echarts.init(el, null, { renderer: "canvas" });
      var layout = root.querySelector("[data-graph-layout]");
      var status = root.querySelector("[data-graph-status]");
      var date = root.querySelector("[data-graph-date]");
      if (date) {
        var dates = {};
        g.nodes.forEach(function (n) { if (n.tier !== "case") dates[n.date] = true; });
        Object.keys(dates).sort().forEach(function (d) {
          var o = document.createElement("option"); o.value = d; o.textContent = d; date.appendChild(o);
        });
      }
      var render = function () {
        var mode = layout ? layout.value : "force";
        var st = status ? status.value : "", dt = date ? date.value : "";
        var kept = {};
        var nodes = g.nodes.filter(function (n) {
          var keep = n.tier === "case" || ((!st || n.status === st) && (!dt || n.date === dt));
          if (keep) kept[n.id] = true;
          return keep;
        });
        var links = g.links.filter(function (l) { return kept[l[0]] && kept[l[1]]; });
        var days = nodes.map(function (n) { return n.day; });
        var lo = Math.min.apply(null, days), hi = Math.max.apply(null, days);
        var counts = {};
        var centre = (g.nodes[0] && g.nodes[0].lonlat) || [121.55, 29.87];
        var data = nodes.map(function (n) {
          var node = { id: String(n.id), name: n.name, category: tiers[n.tier], href: n.href,
                       symbolSize: n.tier === "case" ? 22 : n.tier === "close" ? 12 : 7, itemStyle: { color: colours[n.tier] } };
          var k = n.tier + ":" + n.day;
          counts[k] = (counts[k] || 0) + 1;
          if (mode === "time") {
            node.x = hi > lo ? (n.day - lo) / (hi - lo) * 800 : 400;
            node.y = tiers[n.tier] * 160 + counts[k] * 9;
          } else if (mode === "map") {
            // Spread people who met at one venue in a small circle around it.
            var p = n.lonlat || centre, a = counts[k] * 0.7, r = n.tier === "case" ? 0 : 0.0015 + 0.0002 * counts[k];
            node.value = [p[0] + r * Math.cos(a), p[1] + r * Math.sin(a)];
          }
          return node;
        });
        var series = {
          type: "graph", layout: mode === "force" ? "force" : "none", roam: true, draggable: mode === "force",
          categories: g.categories.map(function (c, i) {
            return { name: c, itemStyle: { color: [colours["case"], colours.close, colours.secondary, colours.companion][i] } };
          }),
          force: { repulsion: 120, edgeLength: [40, 90] },
          label: { show: nodes.length < 60, position: "right", fontSize: 11 },
          data: data,
          links: links.map(function (l) { return { source: String(l[0]), target: String(l[1]) }; }),
          lineStyle: { color: "source", opacity: 0.5 }
        };
        var option = { tooltip: {}, legend: [{ data: g.categories }], series: [series] };
        if (mode === "map") {
          series.coordinateSystem = "geo";
          option.geo = { map: "ningbo", roam: true, center: centre, zoom: 30, itemStyle: { areaColor: "#eef3f9", borderColor: "#9ab" } };
          withNingbo(function () { chart.setOption(option, true); });
          return;
        }
        chart.setOption(option, true);
      };
      render();
      [layout, status, date].forEach(function (s) { if (s) s.addEventListener("change", render); });
      chart.on("click", function (p) { if (p.data && p.data.href) window.location.href = p.data.href; });
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  var english = function () { return (document.documentElement.lang || "").indexOf("en") === 0; };

  // The menu entry of the page shown: the longest menu link that prefixes the path.
  function markMenu() {
    var best = null, path = window.location.pathname;
    document.querySelectorAll(".menu a").forEach(function (a) {
      var href = a.getAttribute("href");
      var hit = href === "/" ? path === "/" : (path === href || path.indexOf(href + "/") === 0);
      if (hit && (!best || href.length > best.getAttribute("href").length)) best = a;
    });
    if (best) { best.classList.add("current"); best.setAttribute("aria-current", "page"); }
  }

  // A toast after an action: a form remembers that it was sent; the page that follows shows
  // the toast unless it shows an error instead (then the action did not happen).
  function toast(text, bad) {
    var t = document.createElement("div");
    t.className = "toast" + (bad ? " bad" : "");
    t.setAttribute("role", "status");
    t.setAttribute("data-testid", "toast");
    t.textContent = text;
    document.body.appendChild(t);
    setTimeout(function () { t.classList.add("gone"); }, 3500);
    setTimeout(function () { t.remove(); }, 4200);
  }
  function flashAfterActions() {
    var done = null;
    try { done = sessionStorage.getItem("ningan.done"); sessionStorage.removeItem("ningan.done"); } catch (e) { /* private mode */ }
    var failed = document.querySelector(".error, .field-error, [aria-invalid=true]");
    if (done && !failed) toast(done);
    else if (failed && done) toast(english() ? "Not saved: see the marked fields" : "未保存：请查看标出的内容", true);
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if ((form.method || "").toLowerCase() !== "post" || form.dataset.noToast !== undefined) return;
    // A second button that only looks (a backtest) neither asks nor reports the form's action.
    if (e.submitter && e.submitter.dataset.noConfirm !== undefined) return;
    var text = form.dataset.done || (english() ? "Done" : "操作成功");
    try { sessionStorage.setItem("ningan.done", text); } catch (err) { /* private mode */ }
  }, true);

  // Actions that publish, release or cannot be undone ask first, with a reason that is sent
  // along (the server requires it too).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.dataset.confirm;
    if (!question || form.dataset.confirmed) return;
    if (e.submitter && e.submitter.dataset.noConfirm !== undefined) return;
    // `data-confirm-when="field=value"`: ask only when the form is set to do that (a bulk
    // form asks before releasing, not before every move).
    var when = (form.dataset.confirmWhen || "").split("=");
    if (when.length === 2 && (!form.elements[when[0]] || form.elements[when[0]].value !== when[1])) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    var dialog = document.createElement("dialog");
    dialog.className = "confirm";
    dialog.setAttribute("data-testid", "confirm-dialog");
    var p = document.createElement("p"); p.textContent = question; dialog.appendChild(p);
    var label = document.createElement("label");
    label.textContent = english() ? "Reason (kept in the audit log)" : "理由（记入审计）";
    var reason = document.createElement("textarea");
    reason.required = true; reason.minLength = 2; reason.maxLength = 200; reason.rows = 3;
    reason.setAttribute("data-testid", "confirm-reason");
    var typed = form.querySelector("input[name=reason]");
    if (typed) reason.value = typed.value;
    label.appendChild(reason); dialog.appendChild(label);
    var err = document.createElement("p"); err.className = "field-error"; err.hidden = true; dialog.appendChild(err);
    var ok = document.createElement("button"); ok.type = "button"; ok.textContent = english() ? "Confirm" : "确认";
    ok.setAttribute("data-testid", "confirm-ok");
    var cancel = document.createElement("button"); cancel.type = "button"; cancel.className = "secondary";
    cancel.textContent = english() ? "Cancel" : "取消";
    var row = document.createElement("div"); row.className = "actions"; row.appendChild(ok); row.appendChild(cancel);
    dialog.appendChild(row);
    document.body.appendChild(dialog);
    cancel.addEventListener("click", function () { dialog.close(); dialog.remove(); });
    ok.addEventListener("click", function () {
      if (reason.value.trim().length < 2) {
        err.hidden = false;
        err.textContent = english() ? "Give a reason of at least 2 characters" : "请填写理由（至少2个字）";
        return;
      }
      var field = form.querySelector("input[name=reason]");
      if (!field) { field = document.createElement("input"); field.type = "hidden"; field.name = "reason"; form.appendChild(field); }
      field.value = reason.value.trim();
      form.dataset.confirmed = "1";
      dialog.close();
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    });
    dialog.showModal();
    reason.focus();
  }, true);

  // A "select all" box ticks every row box of its list (same name and form), and follows
  // them when they are ticked one by one.
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches("input[type=checkbox]")) return;
    var selector = function (name, form) {
      return "input[type=checkbox][name=\"" + name + "\"]" + (form ? "[form=\"" + form + "\"]" : "");
    };
    if (box.dataset.selectAll) {
      document.querySelectorAll(selector(box.dataset.selectAll, box.getAttribute("form"))).forEach(function (c) {
        c.checked = box.checked;
      });
      return;
    }
    document.querySelectorAll("input[data-select-all=\"" + box.name + "\"]").forEach(function (all) {
      var rows = Array.prototype.slice.call(document.querySelectorAll(selector(box.name, all.getAttribute("form"))));
      all.checked = rows.length > 0 && rows.every(function (c) { return c.checked; });
    });
  });

  // Item-specific fields: a form shows the fields of the item chosen in its item select and
  // disables the others, so only that item's fields are sent.
  function itemFields(root) {
    root.querySelectorAll("select[data-item-select]").forEach(function (sel) {
      var form = sel.form;
      if (!form || sel.dataset.bound) return;
      var sync = function () {
        form.querySelectorAll("[data-item-fields]").forEach(function (fs) {
          var on = fs.dataset.itemFields === sel.value;
          fs.hidden = !on;
          fs.disabled = !on;
        });
      };
      sel.addEventListener("change", sync);
      sel.dataset.bound = "1";
      sync();
    });
  }

  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) window.print();
  });

  // File uploads (data-upload forms): sent as multipart with the CSRF header, the upload's
  // progress shown, and the answer page put in place of this one.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-upload]") || !window.FormData) return;
    e.preventDefault();
    var token = document.querySelector("input[name=csrf_token]");
    var bar = form.querySelector("[data-upload-progress]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    if (token) xhr.setRequestHeader("X-CSRF-Token", token.value);
    if (bar) {
      bar.hidden = false;
      xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) bar.value = Math.round(ev.loaded * 100 / ev.total); };
    }
    xhr.onload = function () {
      // Redirected (the upload made a record with a page of its own): go there, so the page
      // has its own address and its scripts start as on any visit.
      if (xhr.responseURL && xhr.status < 400 && xhr.responseURL !== form.action && xhr.responseURL.split("#")[0] !== window.location.href.split("#")[0]) {
        window.location.assign(xhr.responseURL);
        return;
      }
      document.open(); document.write(xhr.responseText); document.close();
    };
    xhr.onerror = function () { toast(english() ? "Upload failed: check the connection" : "上传失败，请检查网络", true); if (bar) bar.hidden = true; };
    var data = new FormData(form);
    // The button pressed says what to do (a point's step): FormData leaves it out.
    if (e.submitter && e.submitter.name) data.append(e.submitter.name, e.submitter.value);
    xhr.send(data);
  });
  // A select that applies itself (the page size): no button to press.
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-autosubmit]") && e.target.form) e.target.form.submit();
  });

  // The wall's full-screen button (browsers allow it only from a click).
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-fullscreen]");
    if (b && document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  });

  function init(root) { itemFields(root); drawCharts(root); drawMaps(root); drawGraphs(root); }
  document.addEventListener("DOMContentLoaded", function () { markMenu(); flashAfterActions(); init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
