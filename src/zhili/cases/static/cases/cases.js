// Fills the longitude/latitude inputs from the browser's geolocation (WGS-84) on report pages.
(function () {
  "use strict";
  document.querySelectorAll("[data-locate]").forEach(function (button) {
    var form = button.closest("form");
    var status = form.querySelector("[data-locate-status]");
    button.addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = gettext("此浏览器不支持定位，请填写地址"); return; }
      status.textContent = gettext("定位中…");
      navigator.geolocation.getCurrentPosition(function (position) {
        form.querySelector("[data-longitude]").value = position.coords.longitude.toFixed(6);
        form.querySelector("[data-latitude]").value = position.coords.latitude.toFixed(6);
        status.textContent = interpolate(gettext("已定位（精度约 %s 米）"), [Math.round(position.coords.accuracy)]);
      }, function () { status.textContent = gettext("无法获取位置，请填写地址"); }, { enableHighAccuracy: true, timeout: 10000 });
    });
  });
})();
