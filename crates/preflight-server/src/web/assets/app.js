// Small enhancements; every page works without them.
"use strict";
(function () {
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-countdown")) - Date.now();
      if (isNaN(left)) return;
      if (left <= 0) { el.textContent = "the planned release date has passed"; return; }
      var d = Math.floor(left / 86400000), h = Math.floor(left / 3600000) % 24, m = Math.floor(left / 60000) % 60;
      el.textContent = d + " days " + h + " hours " + m + " minutes to go";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
})();
