// Draws the indicator chart: actual values, the expected (time-proportional) path, the target and the projection.
(function () {
  "use strict";
  function draw() {
    var element = document.getElementById("indicator-chart");
    var source = document.getElementById("indicator-chart-data");
    if (!element || !source || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var labels = data.labels;
    var series = [
      { name: labels.actual, type: "line", data: data.actual, connectNulls: false, symbolSize: 8, lineStyle: { width: 3 } },
      { name: labels.expected, type: "line", data: data.expected, lineStyle: { type: "dashed" }, symbol: "none" },
      { name: labels.projection, type: "line", data: data.projection, lineStyle: { type: "dotted" }, symbol: "emptyCircle" }
    ];
    if (data.target !== null) {
      series[0].markLine = { symbol: "none", label: { formatter: labels.target + " {c}" }, data: [{ yAxis: data.target, name: labels.target }] };
    }
    var chart = window.echarts.init(element);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 56, right: 24, top: 40, bottom: 32 },
      xAxis: { type: "category", data: data.years.map(String) },
      yAxis: { type: "value", name: data.valueLabel + (data.unit ? "（" + data.unit + "）" : ""), scale: true },
      series: series
    });
    element.setAttribute("data-rendered", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
