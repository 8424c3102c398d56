// The A/B/C/D distribution map: streets and zones as polygons shaded by D-class share, enterprises as points.
(function () {
  "use strict";
  const CLASS_COLOURS = { A: "#16a34a", B: "#2563eb", C: "#d97706", D: "#dc2626", T: "#94a3b8" };

  function draw() {
    const element = document.getElementById("enterprise-map");
    if (!element || typeof echarts === "undefined") { return; }
    const source = document.getElementById(element.dataset.mapSource);
    const data = JSON.parse(source.textContent);
    echarts.registerMap("zhili-enterprise-areas", data.geojson);
    const chart = echarts.init(element);
    const regions = data.geojson.features.map((feature) => ({
      name: feature.properties.name,
      value: Math.round(feature.properties.d_share * 1000) / 10,
      counts: feature.properties.counts,
    }));
    const series = [{
      type: "map", map: "zhili-enterprise-areas", geoIndex: 0, data: regions, name: gettext("D类占比(%)"),
    }];
    Object.keys(CLASS_COLOURS).forEach((code) => {
      series.push({
        type: "scatter", coordinateSystem: "geo", name: interpolate(gettext("%s类"), [code]), symbolSize: code === "D" ? 9 : 6,
        itemStyle: { color: CLASS_COLOURS[code], borderColor: "#fff", borderWidth: 0.5 },
        data: data.points.filter((point) => point.class === code).map((point) => ({ name: point.name, value: point.value })),
        zlevel: code === "D" ? 3 : 2,
      });
    });
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: (params) => {
          if (params.seriesType === "map" && params.data) {
            const counts = params.data.counts || {};
            return params.name + "<br>A " + (counts.A || 0) + " · B " + (counts.B || 0) + " · C " + (counts.C || 0) +
              " · D " + (counts.D || 0) + " · T " + (counts.T || 0) + "<br>" + interpolate(gettext("D类占比 %s%"), [params.value]);
          }
          return params.seriesName + " · " + params.name;
        },
      },
      legend: { top: 8, left: 8, data: Object.keys(CLASS_COLOURS).map((code) => interpolate(gettext("%s类"), [code])) },
      visualMap: { min: 0, max: 20, left: 8, bottom: 8, text: [gettext("D类占比高"), gettext("低")], inRange: { color: ["#f8fafc", "#fecaca", "#b91c1c"] }, seriesIndex: 0, calculable: true },
      geo: { map: "zhili-enterprise-areas", roam: true, label: { show: true, fontSize: 11 }, itemStyle: { borderColor: "#475569" } },
      series: series,
    });
    window.addEventListener("resize", () => chart.resize());
    element.dataset.ready = "true";
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
