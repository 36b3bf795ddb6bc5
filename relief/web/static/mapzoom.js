// Zoom and pan for the server-drawn maps (issue 13): the + − 复位 buttons, the mouse wheel
// (around the pointer) and dragging change the SVG's viewBox; nothing is fetched. Place
// names keep their size on screen while zooming, and the minor ones (townships, crowded
// names) show from ZOOM_LABELS on. Without JavaScript the map is the whole network, as before.
(function () {
  "use strict";
  var STEP = 1.5, MAX = 12, ZOOM_LABELS = 2, LABEL_SIZE = 11, DRAG = 4;

  function setUp(svg) {
    var base = svg.viewBox.baseVal;
    var home = { x: base.x, y: base.y, w: base.width, h: base.height };
    var view = { x: home.x, y: home.y, w: home.w, h: home.h };
    var labels = svg.querySelector(".labels");

    function apply() {
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (v) {
        return Math.round(v * 10) / 10;
      }).join(" "));
      var zoom = home.w / view.w;
      svg.setAttribute("data-zoom", zoom.toFixed(2));
      svg.classList.toggle("zoomed", zoom >= ZOOM_LABELS);
      if (labels) { labels.setAttribute("font-size", (LABEL_SIZE / zoom).toFixed(2)); }
      svg.querySelectorAll(".road-x").forEach(function (mark) {
        mark.setAttribute("font-size", (14 / Math.sqrt(zoom)).toFixed(2));
      });
    }

    function clamp() {
      view.w = Math.min(home.w, Math.max(home.w / MAX, view.w));
      view.h = view.w * home.h / home.w;
      view.x = Math.min(home.x + home.w - view.w, Math.max(home.x, view.x));
      view.y = Math.min(home.y + home.h - view.h, Math.max(home.y, view.y));
    }

    // Zoom by `factor` keeping the map point under (cx, cy) (map units) where it is.
    function zoomAt(factor, cx, cy) {
      var w = view.w / factor;
      view.x = cx - (cx - view.x) * w / view.w;
      view.y = cy - (cy - view.y) * w / view.w;
      view.w = w;
      clamp();
      apply();
    }

    function toMap(clientX, clientY) {
      var box = svg.getBoundingClientRect();
      var scale = Math.max(view.w / box.width, view.h / box.height);
      // preserveAspectRatio="xMidYMid meet": the drawing is centred in the box.
      var offX = (box.width - view.w / scale) / 2, offY = (box.height - view.h / scale) / 2;
      return { x: view.x + (clientX - box.left - offX) * scale,
               y: view.y + (clientY - box.top - offY) * scale, scale: scale };
    }

    var tools = document.querySelector('[data-zoom-for="' + svg.id + '"]');
    if (tools) {
      tools.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-zoom]");
        if (!button) { return; }
        var what = button.getAttribute("data-zoom");
        var cx = view.x + view.w / 2, cy = view.y + view.h / 2;
        if (what === "in") { zoomAt(STEP, cx, cy); }
        else if (what === "out") { zoomAt(1 / STEP, cx, cy); }
        else { view = { x: home.x, y: home.y, w: home.w, h: home.h }; apply(); }
      });
    }

    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      var at = toMap(event.clientX, event.clientY);
      zoomAt(event.deltaY < 0 ? STEP : 1 / STEP, at.x, at.y);
    }, { passive: false });

    // Drag to pan; a drag that moved does not also click the symbol it started on.
    var drag = null, dragged = false;
    svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y,
               scale: toMap(event.clientX, event.clientY).scale };
      dragged = false;
    });
    svg.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < DRAG) { return; }
      if (!dragged) { svg.setPointerCapture(event.pointerId); }
      dragged = true;
      view.x = drag.vx - dx * drag.scale;
      view.y = drag.vy - dy * drag.scale;
      clamp();
      apply();
    });
    function end() { drag = null; }
    svg.addEventListener("pointerup", end);
    svg.addEventListener("pointercancel", end);
    svg.addEventListener("click", function (event) {
      if (dragged) { event.preventDefault(); event.stopPropagation(); dragged = false; }
    }, true);
    apply();
  }

  document.querySelectorAll("svg[data-zoomable]").forEach(setUp);
})();
