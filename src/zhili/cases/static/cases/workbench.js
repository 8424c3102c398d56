// Workbench behaviour (CSP: no inline scripts). Everything is driven by data-* attributes.
(function () {
  "use strict";

  // -- operator: accept a proposal with one keystroke (Alt+1/2/3 matter, Alt+G address) ----------------
  function acceptMatter(button) {
    var form = document.querySelector("form.intake-form");
    if (!form) { return; }
    var select = form.querySelector("select[name=matter_code]");
    select.value = button.dataset.acceptMatter;
    document.querySelectorAll("[data-accept-matter]").forEach(function (other) { other.removeAttribute("aria-pressed"); });
    button.setAttribute("aria-pressed", "true");
    form.dataset.acceptedMatter = button.dataset.acceptMatter;
  }

  function acceptAddress(button) {
    var form = document.querySelector("form.intake-form");
    if (!form) { return; }
    if (button.dataset.acceptAddress) { form.querySelector("[name=address_text]").value = button.dataset.acceptAddress; }
    if (button.dataset.acceptLongitude && button.dataset.acceptLatitude) {
      form.querySelector("[name=longitude]").value = button.dataset.acceptLongitude;
      form.querySelector("[name=latitude]").value = button.dataset.acceptLatitude;
    }
    button.setAttribute("aria-pressed", "true");
  }

  document.addEventListener("click", function (event) {
    var matter = event.target.closest("[data-accept-matter]");
    if (matter) { acceptMatter(matter); return; }
    var address = event.target.closest("[data-accept-address]");
    if (address) { acceptAddress(address); }
  });

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || !document.querySelector("form.intake-form")) { return; }
    var digit = /^Digit([1-9])$/.exec(event.code);
    if (digit) {
      var buttons = document.querySelectorAll("[data-accept-matter]");
      var button = buttons[Number(digit[1]) - 1];
      if (button) { event.preventDefault(); acceptMatter(button); }
    } else if (event.code === "KeyG") {
      var top = document.querySelector("[data-top-address]");
      if (top) { event.preventDefault(); acceptAddress(top); }
    }
  });

  // -- handler: countdowns of the remaining (working) time, refreshed every minute ---------------------
  var OFFICE = [[9 * 60, 12 * 60], [13 * 60 + 30, 17 * 60 + 30]];

  function chinaMinuteOfDay(date) {
    var minutes = (date.getUTCHours() + 8) * 60 + date.getUTCMinutes();
    return minutes % (24 * 60);
  }

  function chinaWeekday(date) { return new Date(date.getTime() + 8 * 3600 * 1000).getUTCDay(); }

  // Office minutes between two instants, Monday–Friday (holidays are in the server's starting value).
  function officeMinutesBetween(start, end) {
    var total = 0;
    for (var t = start.getTime(); t < end.getTime(); t += 60000) {
      var at = new Date(t);
      var weekday = chinaWeekday(at);
      if (weekday === 0 || weekday === 6) { continue; }
      var minute = chinaMinuteOfDay(at);
      if (OFFICE.some(function (p) { return minute >= p[0] && minute < p[1]; })) { total += 1; }
    }
    return total;
  }

  function describe(minutes, natural) {
    var abs = Math.abs(minutes);
    var hours = Math.floor(abs / 60);
    var text = interpolate(gettext("%s 分"), [abs % 60]);
    if (hours) { text = interpolate(natural ? gettext("%s 小时") : gettext("%s 工作小时"), [hours]) + " " + text; }
    return interpolate(minutes < 0 ? gettext("已超期 %s") : gettext("剩余 %s"), [text]);
  }

  function updateCountdowns() {
    var now = new Date();
    document.querySelectorAll("[data-countdown]").forEach(function (element) {
      var start = Number(element.dataset.minutesLeft);
      var natural = element.dataset.natural === "1";
      var rendered = new Date(Number(element.dataset.renderedAt));
      var elapsed = natural ? Math.floor((now - rendered) / 60000) : officeMinutesBetween(rendered, now);
      var left = start - elapsed;
      element.textContent = describe(left, natural);
      element.classList.toggle("overdue", left < 0);
    });
  }

  if (document.querySelector("[data-countdown]")) {
    updateCountdowns();
    window.setInterval(updateCountdowns, 60000);
  }

  // -- print ---------------------------------------------------------------------------------------------
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // -- bulk selection in the triage queue ---------------------------------------------------------------
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[name=case][form=bulk-dispatch]").forEach(function (other) { other.checked = box.checked; });
    });
  });

  // -- maps (ECharts): the public map and the grid worker's grid ----------------------------------------
  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent || "null") : null;
  }

  function scatterOption(points, bounds) {
    var open = points.filter(function (p) { return !p.fixed; });
    var fixed = points.filter(function (p) { return p.fixed; });
    function data(list) {
      return list.map(function (p) { return { value: [p.longitude, p.latitude], info: p }; });
    }
    return {
      animation: false,
      tooltip: { formatter: function (params) { var p = params.data.info; return p.category + "<br>" + p.status + " · " + p.date; } },
      legend: { top: 0, data: [gettext("未办结"), gettext("已办结")] },
      grid: { left: 40, right: 16, top: 32, bottom: 32 },
      xAxis: { type: "value", scale: true, min: bounds ? bounds[0] : null, max: bounds ? bounds[2] : null, axisLabel: { show: false }, splitLine: { show: false } },
      yAxis: { type: "value", scale: true, min: bounds ? bounds[1] : null, max: bounds ? bounds[3] : null, axisLabel: { show: false }, splitLine: { show: false } },
      series: [
        { name: gettext("未办结"), type: "scatter", symbolSize: 9, itemStyle: { color: "#dc2626" }, data: data(open) },
        { name: gettext("已办结"), type: "scatter", symbolSize: 8, itemStyle: { color: "#16a34a" }, data: data(fixed) },
      ],
    };
  }

  function initPublicMap() {
    var element = document.getElementById("public-map");
    if (!element || typeof echarts === "undefined") { return; }
    var points = readJson("public-map-data") || [];
    var chart = echarts.init(element);
    chart.setOption(scatterOption(points, null));
    element.dataset.ready = "1";
    element.dataset.points = String(points.length);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function initGridMap() {
    var element = document.getElementById("grid-map");
    if (!element || typeof echarts === "undefined" || !element.dataset.geojsonUrl) { return; }
    fetch(element.dataset.geojsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (geojson) {
        if (!geojson || !geojson.features || geojson.features.length === 0) {
          element.textContent = element.dataset.emptyText || "";
          element.dataset.ready = "empty";
          return;
        }
        echarts.registerMap("my-grid", geojson);
        var tasks = readJson("grid-tasks-data") || [];
        var chart = echarts.init(element);
        chart.setOption({
          animation: false,
          geo: { map: "my-grid", roam: true, itemStyle: { areaColor: "#e0f2fe", borderColor: "#0369a1" }, label: { show: true } },
          series: [{ type: "scatter", coordinateSystem: "geo", symbolSize: 10, itemStyle: { color: "#dc2626" },
            data: tasks.map(function (t) { return { name: t.title, value: [t.longitude, t.latitude], href: t.href }; }) }],
        });
        chart.on("click", function (params) { if (params.data && params.data.href) { window.location.assign(params.data.href); } });
        element.dataset.ready = "1";
        window.addEventListener("resize", function () { chart.resize(); });
      });
  }

  initPublicMap();
  initGridMap();
})();
