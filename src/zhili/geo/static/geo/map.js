// Draws the district's areas from our own GeoJSON endpoint with ECharts (no tile server).
// Clicking a street or community drills down; clicking a grid loads its card (htmx fragment).
(function () {
  "use strict";

  function showStatus(element, text) {
    element.textContent = "";
    const status = document.createElement("p");
    status.className = "geo-map-status";
    status.textContent = text;
    element.appendChild(status);
  }

  function drawMap(element, geojson) {
    const level = element.dataset.level;
    const nextLevel = element.dataset.nextLevel;
    const names = {};
    const data = geojson.features.map(function (feature) {
      names[feature.properties.code] = feature.properties.name;
      return { name: feature.properties.code, value: feature.properties.population };
    });
    const populations = data.map(function (item) { return item.value; });
    element.textContent = "";
    const chart = window.echarts.init(element);
    window.echarts.registerMap("zhili-areas", geojson);
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (params) {
          return (names[params.name] || params.name) + "<br>" + params.name + "<br>" + element.dataset.populationLabel + " " + (params.value || 0);
        },
      },
      visualMap: {
        min: populations.length ? Math.min.apply(null, populations) : 0,
        max: Math.max.apply(null, populations.concat([1])),
        left: "left", bottom: 10, calculable: true, text: [element.dataset.populationLabel, ""],
        inRange: { color: ["#e0f2fe", "#60a5fa", "#1d4ed8"] },
      },
      series: [{
        type: "map",
        map: "zhili-areas",
        nameProperty: "code",
        roam: true,
        aspectScale: 0.85,
        selectedMode: level === "grid" ? "single" : false,
        label: {
          show: level !== "grid",
          formatter: function (params) { return names[params.name] || ""; },
          fontSize: 11,
        },
        itemStyle: { borderColor: "#0f172a", borderWidth: level === "street" ? 1.5 : 0.6 },
        emphasis: { label: { show: true, formatter: function (params) { return names[params.name] || ""; } } },
        data: data,
      }],
    });
    chart.on("click", function (params) {
      const code = params.name;
      if (level === "grid") {
        const url = element.dataset.cardUrl.replace("CODE", encodeURIComponent(code));
        if (window.htmx) {
          window.htmx.ajax("GET", url, { target: "#grid-card", swap: "innerHTML" });
        } else {
          window.location.href = url;
        }
      } else if (nextLevel) {
        window.location.href = element.dataset.mapUrl + "?level=" + nextLevel + "&root=" + encodeURIComponent(code);
      }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    const element = document.getElementById("district-map");
    if (!element || !window.echarts) { return; }
    showStatus(element, element.dataset.loadingText);
    fetch(element.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (geojson) { drawMap(element, geojson); })
      .catch(function () { showStatus(element, element.dataset.errorText); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
