// Charts and the map of the command center and the leader dashboard (ECharts from our own static files).
// Data comes from <script type="application/json"> blocks (json_script); htmx swaps refresh them.
(function () {
  "use strict";
  const charts = new Map();
  let mapChart = null;
  let mapNameByCode = {};

  function readJson(id) {
    const node = document.getElementById(id);
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (error) { return null; }
  }

  function isWall() { return document.body.classList.contains("wall"); }

  function textColor() { return isWall() ? "#cbd5e1" : "#334155"; }

  function barOption(data) {
    const names = data.names.slice().reverse();
    const values = data.values.slice().reverse();
    return {
      animation: false,
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", axisLabel: { color: textColor() }, splitLine: { lineStyle: { opacity: 0.2 } } },
      yAxis: { type: "category", data: names, axisLabel: { color: textColor() } },
      tooltip: { trigger: "axis" },
      series: [{ type: "bar", data: values, itemStyle: { color: "#3b82f6" }, label: { show: true, position: "right", color: textColor() } }],
    };
  }

  function trendOption(data) {
    return {
      animation: false,
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      legend: { data: [data.created_label, data.finished_label], textStyle: { color: textColor() } },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.days, axisLabel: { color: textColor() } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: textColor() }, splitLine: { lineStyle: { opacity: 0.2 } } },
      series: [
        { name: data.created_label, type: "line", smooth: false, data: data.created, itemStyle: { color: "#f59e0b" } },
        { name: data.finished_label, type: "bar", data: data.finished, itemStyle: { color: "#22c55e" } },
      ],
    };
  }

  function initCharts(root) {
    if (typeof echarts === "undefined") { return; }
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      const data = readJson(element.dataset.chartSource);
      if (!data) { return; }
      const previous = charts.get(element.id || element.dataset.chartSource);
      if (previous && !previous.isDisposed()) { previous.dispose(); }
      const chart = echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(element.dataset.chart === "bar" ? barOption(data) : trendOption(data));
      charts.set(element.id || element.dataset.chartSource, chart);
      element.dataset.ready = "1";
    });
  }

  function mapSeriesData(data) {
    mapNameByCode = {};
    return data.values.map(function (row) {
      mapNameByCode[row.code] = row.name;
      return { name: row.code, value: row.value === null ? NaN : row.value, label_text: row.name, href: row.href };
    });
  }

  function mapOption(data) {
    const numbers = data.values.map(function (row) { return row.value; }).filter(function (value) { return value !== null; });
    const maximum = data.percent ? 100 : Math.max(1, ...numbers);
    return {
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: function (params) {
          const value = params.value === undefined || Number.isNaN(params.value) ? "—" : params.value;
          return (mapNameByCode[params.name] || params.name) + "<br>" + data.label + ": " + value;
        },
      },
      visualMap: {
        type: "continuous", min: 0, max: maximum, calculable: true, left: 8, bottom: 8,
        text: [String(maximum), "0"], textStyle: { color: textColor() },
        inRange: { color: data.percent ? ["#dc2626", "#facc15", "#16a34a"] : ["#dbeafe", "#60a5fa", "#f59e0b", "#dc2626"] },
      },
      series: [{
        type: "map", map: "zhili-area", roam: true, selectedMode: false,
        label: { show: data.values.length <= 40, fontSize: 11, color: "#0f172a", formatter: function (params) { return mapNameByCode[params.name] || params.name; } },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#a78bfa" } },
        itemStyle: { borderColor: "#1e293b", borderWidth: 0.8, areaColor: "#e2e8f0" },
        data: mapSeriesData(data),
      }],
    };
  }

  function initMap() {
    const element = document.getElementById("cc-map");
    if (!element || typeof echarts === "undefined") { return; }
    fetch(element.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (geojson) {
        if (!geojson || !geojson.features || geojson.features.length === 0) {
          element.textContent = element.dataset.emptyText || "";
          element.dataset.ready = "empty";
          return;
        }
        echarts.registerMap("zhili-area", geojson);
        mapChart = echarts.init(element);
        const data = readJson(element.dataset.mapSource);
        if (data) { mapChart.setOption(mapOption(data)); }
        mapChart.on("click", function (params) {
          if (params.data && params.data.href) { window.location.assign(params.data.href); }
        });
        element.dataset.ready = "1";
        element.dataset.features = String(geojson.features.length);
      });
  }

  function refreshMap() {
    const element = document.getElementById("cc-map");
    if (!mapChart || !element) { return; }
    const data = readJson(element.dataset.mapSource);
    if (data) { mapChart.setOption(mapOption(data)); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    initCharts(document);
    initMap();
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    initCharts(document);
    refreshMap();
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { if (!chart.isDisposed()) { chart.resize(); } });
    if (mapChart) { mapChart.resize(); }
  });
})();
