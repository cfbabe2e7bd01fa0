// The investigator's chart ([data-link-chart]): an ECharts graph over the case's link-analysis
// API. Find entities and add them, expand the selected ones by so many hops under the filter,
// find groups (the leader drawn largest), paths and money flows between two, read the records
// behind a node or link on a timeline, save the chart with the case as a new version, and
// export it (PNG here; GraphML and CSV of a saved version from the server).
(function () {
  "use strict";

  function en() { return (document.documentElement.lang || "").indexOf("en") === 0; }
  function t(zh, english) { return en() ? english : zh; }
  function csrf() { var i = document.querySelector("input[name=csrf_token]"); return i ? i.value : ""; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }
  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) throw new Error((body && (body.detail || body.title)) || String(r.status));
        return body;
      });
    });
  }
  var KIND_COLOUR = { person: "#1c4f8a", phone: "#2e7d32", account: "#c77700", vehicle: "#6a1b9a", address: "#546e7a", org: "#00838f" };
  var GROUP_COLOURS = ["#b3261e", "#6a1b9a", "#00838f", "#ef6c00", "#2e7d32", "#283593", "#ad1457", "#4e342e"];
  var KIND_NAME = { call: ["通话", "call"], transfer: ["转账", "transfer"], copresence: ["同行", "co-presence"], tie: ["关联", "tie"] };

  function setup(root) {
    if (root.dataset.drawn || !window.echarts) return;
    root.dataset.drawn = "1";
    var base = "/api/investigation/cases/" + root.dataset.case;
    var canvas = root.querySelector("[data-link-canvas]");
    var chart = echarts.init(canvas, null, { renderer: "canvas" });
    var nodes = new Map(), links = new Map(), selected = new Set(), leaders = new Set(), pathLinks = new Set();
    var timeline = null;
    var status = root.querySelector("[data-link-status]");
    function say(text, bad) { status.textContent = text; status.classList.toggle("error", !!bad); }
    function q(sel) { return root.querySelector(sel); }

    function filterParams() {
      var p = new URLSearchParams();
      var kinds = Array.prototype.filter.call(root.querySelectorAll("[data-link-kinds]"), function (c) { return c.checked; }).map(function (c) { return c.value; });
      if (kinds.length && kinds.length < 3) p.set("kinds", kinds.join(","));
      if (!kinds.length) p.set("kinds", "tie");
      var from = q("[data-link-from]").value, to = q("[data-link-to]").value;
      if (from) p.set("from", String(Date.parse(from + "T00:00:00+08:00")));
      if (to) p.set("to", String(Date.parse(to + "T00:00:00+08:00") + 86400000));
      var mc = +q("[data-link-min-count]").value || 1, ma = +q("[data-link-min-amount]").value || 0;
      if (mc > 1) p.set("min_count", String(mc));
      if (ma > 0) p.set("min_amount", String(ma));
      return p;
    }
    function filterObject() {
      var p = filterParams(), o = {};
      p.forEach(function (v, k) { o[k] = k === "kinds" ? v : +v; });
      return o;
    }
    function linkKey(a, b) { return a < b ? a + "-" + b : b + "-" + a; }
    function merge(view) {
      (view.nodes || []).forEach(function (n) {
        var old = nodes.get(n.id);
        if (old && old.group && !n.group) n.group = old.group;
        nodes.set(n.id, Object.assign(old || {}, n));
      });
      (view.links || []).forEach(function (l) { links.set(linkKey(l.a, l.b), l); });
    }
    function positions() {
      var out = {};
      try {
        var data = chart.getModel().getSeriesByIndex(0).getData();
        data.each(function (i) { var xy = data.getItemLayout(i); if (xy) out[data.getName(i)] = xy; });
      } catch (e) { /* nothing drawn yet */ }
      return out;
    }
    function draw() {
      var at = positions();
      var data = Array.from(nodes.values()).map(function (n) {
        var colour = n.group ? GROUP_COLOURS[(n.group - 1) % GROUP_COLOURS.length] : (KIND_COLOUR[n.kind] || "#546e7a");
        var lead = leaders.has(n.id);
        var item = {
          name: String(n.id), value: n.id,
          symbolSize: lead ? 40 : 22,
          itemStyle: { color: colour, borderColor: selected.has(n.id) ? "#111" : "#fff", borderWidth: selected.has(n.id) ? 4 : 1 },
          label: { show: true, position: "right", color: "#1f2933", formatter: (lead ? t("【核心】", "[core] ") : "") + n.label, fontSize: 11 },
          tooltip: { formatter: esc(n.kind_label + " " + n.label) + (n.holds && n.holds.length ? "<br>" + n.holds.map(esc).join("<br>") : "") }
        };
        var p = at[String(n.id)] || (n.x != null ? [n.x, n.y] : null);
        if (p) { item.x = p[0]; item.y = p[1]; }
        return item;
      });
      var edges = Array.from(links.values()).map(function (l) {
        var onPath = pathLinks.has(linkKey(l.a, l.b));
        return {
          source: String(l.a), target: String(l.b), value: l.count,
          lineStyle: { width: Math.min(8, 1 + Math.log2(l.count)), color: onPath ? "#b3261e" : (l.kinds.indexOf("transfer") >= 0 ? "#c77700" : "#90a4ae"), opacity: 0.8 },
          tooltip: { formatter: l.count + t(" 条记录", " records") + (l.amount ? " · ¥" + l.amount.toFixed(2) : "") }
        };
      });
      chart.setOption({
        tooltip: {},
        animation: false,
        series: [{ type: "graph", layout: "force", roam: true, draggable: true, data: data, links: edges,
          force: { repulsion: 160, edgeLength: [40, 140], gravity: 0.08 }, emphasis: { focus: "adjacency" } }]
      }, true);
      q("[data-link-canvas]").dataset.nodes = String(nodes.size);
    }
    function reportLeftOut(view) {
      var lo = view.left_out || [];
      var shown = t("显示 ", "Showing ") + nodes.size + t(" 个对象、", " entities, ") + links.size + t(" 条连线。", " links.");
      if (!lo.length) { say(shown); return; }
      var extra = lo.slice(0, 5).map(function (l) {
        var n = nodes.get(l.id);
        return (n ? n.label : l.id) + t(" 另有 ", ": ") + l.dropped + t(" 个关联未展开（共 ", " of ") + l.links + t("）", " links not shown");
      });
      say(shown + " " + t("为免淹没画面，", "Capped so a hub does not flood the screen: ") + extra.join("；"));
    }
    function withFilter(path, extra) {
      var p = filterParams();
      Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
      return base + path + "?" + p.toString();
    }

    function addEntity(id) {
      say(t("加载中…", "Loading…"));
      get(base + "/graph/expand?seeds=" + id + "&hops=1&max_nodes=1").then(function (view) {
        merge(view); selected.clear(); selected.add(id); draw(); reportLeftOut({}); showDetail(id);
      }).catch(function (e) { say(e.message, true); });
    }
    function expand(ids) {
      if (!ids.length) { say(t("请先选中一个或多个节点", "Select one or more nodes first"), true); return; }
      say(t("展开中…", "Expanding…"));
      get(withFilter("/graph/expand", { seeds: ids.join(","), hops: q("[data-link-hops]").value })).then(function (view) {
        merge(view); draw(); reportLeftOut(view);
      }).catch(function (e) { say(e.message, true); });
    }
    function groups(index) {
      say(t("团伙发现计算中…", "Finding groups…"));
      var extra = index ? { group: index } : {};
      get(withFilter("/graph/groups", extra)).then(function (view) {
        var list = q("[data-link-groups-list]");
        var gs = view.groups || [];
        if (!gs.length) {
          list.innerHTML = "<p class=\"empty\">" + esc(t("当前筛选下没有发现3人以上的团伙，可提高“最少次数”再试。", "No group of three or more under this filter; try a higher least-records count.")) + "</p>";
          say(t("未发现团伙", "No groups found"));
          return;
        }
        list.innerHTML = "<h3>" + esc(t("发现的团伙", "Groups found")) + "</h3><ol>" + gs.map(function (g) {
          var lead = g.members[0];
          return "<li><button type=\"button\" class=\"link\" data-group=\"" + g.index + "\" data-testid=\"group-" + g.index + "\">" +
            esc(t("团伙", "Group ") + g.index + t("：", ": ") + g.members.length + t(" 人", " members")) + "</button> · " +
            esc(t("核心：", "core: ")) + "<strong data-testid=\"group-leader-" + g.index + "\">" + esc(lead.label) + "</strong>" +
            " <small>(" + esc(t("联系 ", "links ") + lead.strength + t(" 次", "")) + ")</small></li>";
        }).join("") + "</ol>";
        nodes.clear(); links.clear(); leaders.clear(); pathLinks.clear(); selected.clear();
        merge(view);
        var drawn = gs.filter(function (g) { return g.index === (index || 1); })[0];
        if (drawn) leaders.add(drawn.members[0].id);
        draw();
        say(t("发现 ", "Found ") + gs.length + t(" 个团伙；图中为团伙 ", " groups; showing group ") + (index || 1) + t("，最大节点为核心成员（联系最多）。", ", its core member (most links) drawn largest."));
      }).catch(function (e) { say(e.message, true); });
    }
    function paths(money) {
      var ids = Array.from(selected);
      if (ids.length !== 2) { say(t("请选中两个节点", "Select exactly two nodes"), true); return; }
      say(t("查找中…", "Searching…"));
      var extra = { a: ids[0], b: ids[1] };
      if (money) extra.money = "true";
      get(withFilter("/graph/paths", extra)).then(function (view) {
        merge(view);
        pathLinks.clear();
        (view.paths || []).forEach(function (p) { for (var i = 1; i < p.nodes.length; i++) pathLinks.add(linkKey(p.nodes[i - 1], p.nodes[i])); });
        draw();
        var box = q("[data-link-detail]");
        if (!(view.paths || []).length) { say(t("两者之间在当前筛选下没有路径（6步以内）", "No path within six steps under this filter"), true); return; }
        box.innerHTML = "<h3>" + esc(money ? t("资金流向", "Money paths") : t("最短路径", "Shortest paths")) + "</h3><ol>" + view.paths.map(function (p) {
          var names = p.nodes.map(function (id) { var n = nodes.get(id); return n ? n.label : id; });
          var tail = p.flow != null ? " · " + t("可流经 ¥", "up to ¥") + p.flow.toFixed(2) + " (" + p.amounts.map(function (a) { return "¥" + a.toFixed(2); }).join(" → ") + ")" : "";
          return "<li>" + esc(names.join(" → ") + tail) + "</li>";
        }).join("") + "</ol>" + (view.more ? "<p>" + esc(t("路径较多，仅列前20条", "More paths exist; the first 20 are listed")) + "</p>" : "");
        say(view.paths.length + t(" 条路径", " paths"));
      }).catch(function (e) { say(e.message, true); });
    }

    function records(params) {
      var p = new URLSearchParams(params);
      p.set("per_page", "200");
      var f = filterParams();
      if (f.get("from")) p.set("from", f.get("from"));
      if (f.get("to")) p.set("to", f.get("to"));
      get(base + "/records?" + p.toString()).then(function (page) {
        var body = q("[data-link-records] tbody");
        body.innerHTML = page.items.map(function (r) {
          var k = KIND_NAME[r.kind] || [r.kind, r.kind];
          var size = r.kind === "transfer" ? "¥" + (r.amount / 100).toFixed(2) : (r.kind === "call" ? r.duration + t(" 秒", " s") : "");
          return "<tr><td>" + esc(new Date(r.at).toLocaleString(en() ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai" })) + "</td><td>" + esc(en() ? k[1] : k[0]) + "</td><td>" + esc(r.src_label) + "</td><td>" + esc(r.dst_label) + "</td><td>" + esc(size) + "</td><td>" + esc(r.file_name + ":" + r.line) + "</td></tr>";
        }).join("") || "<tr><td colspan=\"6\" class=\"empty\">—</td></tr>";
        var byDay = {};
        page.items.forEach(function (r) {
          var d = new Date(r.at + 8 * 3600000).toISOString().slice(0, 10);
          byDay[d] = (byDay[d] || 0) + 1;
        });
        var days = Object.keys(byDay).sort();
        if (!timeline) timeline = echarts.init(q("[data-link-timeline]"), null, { renderer: "canvas" });
        timeline.setOption({
          tooltip: { trigger: "axis" }, grid: { left: 40, right: 20, top: 20, bottom: 30 },
          xAxis: { type: "category", data: days }, yAxis: { type: "value", minInterval: 1 },
          series: [{ type: "bar", name: t("记录", "records"), data: days.map(function (d) { return byDay[d]; }), itemStyle: { color: "#1c4f8a" } }]
        }, true);
        if (page.total > page.items.length) say(t("时间轴显示前 ", "The timeline shows the first ") + page.items.length + t(" 条（共 ", " of ") + page.total + t(" 条）", " records"));
      }).catch(function (e) { say(e.message, true); });
    }
    function showDetail(id) {
      var n = nodes.get(id);
      if (!n) return;
      q("[data-link-detail]").innerHTML = "<h3>" + esc(n.label) + "</h3><p>" + esc(n.kind_label) + (n.hop != null ? " · " + t("第", "hop ") + n.hop + t("层", "") : "") + "</p>" +
        (n.holds && n.holds.length ? "<p>" + esc(t("名下：", "Holds: ")) + n.holds.map(esc).join("、") + "</p>" : "");
      records({ entity: String(id) });
    }

    chart.on("click", function (e) {
      if (e.dataType === "node") {
        var id = +e.data.value;
        if (selected.has(id)) selected.delete(id); else selected.add(id);
        if (selected.size > 2 && !(e.event && e.event.event && e.event.event.shiftKey)) { selected.clear(); selected.add(id); }
        draw(); showDetail(id);
      } else if (e.dataType === "edge") {
        q("[data-link-detail]").innerHTML = "<h3>" + esc(t("连线记录", "Records of the link")) + "</h3>";
        records({ entity: e.data.source, other: e.data.target });
      }
    });
    chart.on("dblclick", function (e) { if (e.dataType === "node") expand([+e.data.value]); });

    // The page's forms are driven here, never sent.
    root.querySelectorAll("form").forEach(function (f) { f.addEventListener("submit", function (e) { e.preventDefault(); }); });
    q("[data-link-search]").addEventListener("click", function () {
      var p = new URLSearchParams({ q: q("[data-link-q]").value.trim(), per_page: "20" });
      var k = q("[data-link-kind]").value;
      if (k) p.set("kind", k);
      get(base + "/entities?" + p.toString()).then(function (page) {
        var ul = q("[data-link-results]");
        ul.innerHTML = page.items.map(function (e) {
          return "<li><button type=\"button\" class=\"link\" data-add=\"" + e.id + "\">+ " + esc(e.label) + "</button> <small>" + esc(e.kind) + "</small></li>";
        }).join("") || "<li class=\"empty\">" + esc(t("没有匹配的对象", "No matching entity")) + "</li>";
      }).catch(function (e) { say(e.message, true); });
    });
    q("[data-link-q]").addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); q("[data-link-search]").click(); } });
    root.addEventListener("click", function (e) {
      var add = e.target.closest("[data-add]");
      if (add) addEntity(+add.dataset.add);
      var g = e.target.closest("[data-group]");
      if (g) groups(+g.dataset.group);
    });
    q("[data-link-expand]").addEventListener("click", function () { expand(Array.from(selected)); });
    q("[data-link-groups]").addEventListener("click", function () {
      if ((+q("[data-link-min-count]").value || 1) < 2) q("[data-link-min-count]").value = "5";
      groups(0);
    });
    q("[data-link-path]").addEventListener("click", function () { paths(false); });
    q("[data-link-money]").addEventListener("click", function () { paths(true); });
    q("[data-link-clear]").addEventListener("click", function () {
      nodes.clear(); links.clear(); selected.clear(); leaders.clear(); pathLinks.clear(); draw(); say("");
    });
    q("[data-link-png]").addEventListener("click", function () {
      var a = document.createElement("a");
      a.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
      a.download = "case-" + root.dataset.case + "-chart.png";
      document.body.appendChild(a); a.click(); a.remove();
    });
    var save = q("[data-link-save]");
    if (save) save.addEventListener("click", function () {
      var title = q("[data-link-title]").value.trim();
      if (title.length < 2) { say(t("请填写关系图名称（2–80字）", "Give the chart a title (2 to 80 characters)"), true); return; }
      if (!nodes.size) { say(t("关系图为空", "The chart is empty"), true); return; }
      var at = positions();
      var body = {
        nodes: Array.from(nodes.values()).map(function (n) { var p = at[String(n.id)]; return { id: n.id, x: p ? p[0] : null, y: p ? p[1] : null, group: n.group || null }; }),
        links: Array.from(links.values()).map(function (l) { return { a: l.a, b: l.b }; }),
        filter: filterObject(),
        note: ""
      };
      fetch(base + "/charts", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify({ title: title, body: body })
      }).then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error(b.detail || b.title || r.status); return b; }); })
        .then(function (b) {
          var sel = q("[data-link-versions]");
          var o = document.createElement("option");
          o.value = String(b.version); o.textContent = "v" + b.version + " " + title;
          sel.insertBefore(o, sel.options[1] || null);
          sel.value = String(b.version);
          showExports(b.version);
          say(t("已保存为第 ", "Saved as version ") + b.version + t(" 版", ""));
        }).catch(function (e) { say(e.message, true); });
    });
    function showExports(v) {
      var g = q("[data-link-graphml]"), c = q("[data-link-csv]");
      g.hidden = c.hidden = !v;
      g.href = base + "/charts/" + v + "?format=graphml";
      c.href = base + "/charts/" + v + "?format=csv";
    }
    function load(v) {
      if (!v) return;
      get(base + "/charts/" + v).then(function (b) {
        nodes.clear(); links.clear(); selected.clear(); leaders.clear(); pathLinks.clear();
        var saved = {};
        (b.chart.body.nodes || []).forEach(function (n) { saved[n.id] = n; });
        (b.view.nodes || []).forEach(function (n) { var s = saved[n.id] || {}; n.x = s.x; n.y = s.y; n.group = s.group; });
        merge(b.view); draw(); showExports(v);
        q("[data-link-title]") && (q("[data-link-title]").value = b.chart.title);
        say(t("已载入第 ", "Loaded version ") + v + t(" 版：", ": ") + b.chart.title);
      }).catch(function (e) { say(e.message, true); });
    }
    q("[data-link-versions]").addEventListener("change", function (e) { load(e.target.value); });
    var asked = new URLSearchParams(window.location.search).get("version");
    if (asked) { q("[data-link-versions]").value = asked; load(asked); }
    window.addEventListener("resize", function () { chart.resize(); if (timeline) timeline.resize(); });
  }

  function all() { document.querySelectorAll("[data-link-chart]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
})();
