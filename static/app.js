// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Diff overlays: a slider replaces the resize handle as the way to uncover the screenshot.
  function enhanceOverlays() {
    document.querySelectorAll("[data-overlay]").forEach(function (figure) {
      var top = figure.querySelector(".overlay-top");
      var slider = figure.querySelector(".overlay-slider");
      if (!top || !slider) { return; }
      slider.hidden = false;
      var apply = function () { top.style.width = slider.value + "%"; };
      slider.addEventListener("input", apply);
      apply();
    });
  }

  // Full-size views: arrow keys follow the previous and next links, Escape closes.
  function enhanceLightbox() {
    document.addEventListener("keydown", function (event) {
      var open = document.querySelector(".lightbox:target");
      if (!open) { return; }
      var rel = { ArrowLeft: "prev", ArrowRight: "next" }[event.key];
      if (rel) {
        var link = open.querySelector("a[rel='" + rel + "']");
        if (link) { link.click(); event.preventDefault(); }
      } else if (event.key === "Escape") {
        var close = open.querySelector("a.close");
        if (close) { close.click(); }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhanceOverlays();
    enhanceLightbox();
  });
})();
