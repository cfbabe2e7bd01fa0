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

  function drawMaps(root) {
    var maps = root.querySelectorAll("[data-map]");
    if (!maps.length || !window.echarts) return;
    var draw = function () {
      maps.forEach(function (el) {
        if (el.dataset.drawn) return;
        var cfg = JSON.parse(el.dataset.map);
        var chart = echarts.init(el, null, { renderer: "canvas" });
        chart.setOption({
          tooltip: { trigger: "item", formatter: "{b}: {c}" },
          visualMap: { min: 0, max: cfg.max || 1, left: "left", bottom: 10, text: [cfg.high, cfg.low], calculable: true,
                       inRange: { color: ["#e0ecf8", "#1c4f8a"] } },
          series: [{ type: "map", map: "ningbo", roam: true, name: cfg.title,
                     label: { show: true, fontSize: 11 }, data: cfg.data }]
        });
        el.dataset.drawn = "1";
        window.addEventListener("resize", function () { chart.resize(); });
      });
    };
    if (echarts.getMap("ningbo")) { draw(); return; }
    fetch("/static/ningbo.geojson").then(function (r) { return r.json(); }).then(function (geo) {
      echarts.registerMap("ningbo", geo);
      draw();
    });
  }

  // Places on the city map: every element with data-points holds [{name, lon, lat, ...}].
  function drawPoints(root) {
    var maps = root.querySelectorAll("[data-points]");
    if (!maps.length || !window.echarts) return;
    var draw = function () {
      maps.forEach(function (el) {
        if (el.dataset.drawn) return;
        var points;
        try { points = JSON.parse(el.dataset.points); } catch (e) { return; }
        var chart = echarts.init(el, null, { renderer: "canvas" });
        chart.setOption({
          tooltip: { trigger: "item", formatter: function (p) { return p.name + "<br>" + (p.data.window || ""); } },
          geo: { map: "ningbo", roam: true, itemStyle: { areaColor: "#eef3f9", borderColor: "#9ab" } },
          series: [{ type: "effectScatter", coordinateSystem: "geo", symbolSize: 12, itemStyle: { color: "#c0392b" },
                     data: points.map(function (p) { return { name: p.name, value: [p.lon, p.lat], window: p.from + " — " + p.to }; }) }]
        });
        el.dataset.drawn = "1";
        window.addEventListener("resize", function () { chart.resize(); });
      });
    };
    if (echarts.getMap("ningbo")) { draw(); return; }
    fetch("/static/ningbo.geojson").then(function (r) { return r.json(); }).then(function (geo) {
      if (!echarts.getMap("ningbo")) echarts.registerMap("ningbo", geo);
      draw();
    });
  }

  function init(root) { drawCharts(root); drawMaps(root); drawPoints(root); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
