// Network map: show a warehouse's or region's details in the side panel without reloading
// the map. Without JavaScript the same links load /map?warehouse=… and the server renders
// the panel, so this file only saves a round trip of the whole map.
(function () {
  "use strict";
  var panel = document.getElementById("map-panel");
  if (!panel) { return; }

  function mark(code) {
    document.querySelectorAll("#network-map .selected").forEach(function (el) {
      el.classList.remove("selected");
    });
    if (!code) { return; }
    document.querySelectorAll('#network-map [data-code="' + CSS.escape(code) + '"]').forEach(function (el) {
      el.classList.add("selected");
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-panel]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    event.preventDefault();
    var href = link.getAttribute("href");
    fetch(link.getAttribute("data-panel"), { credentials: "same-origin" })
      .then(function (reply) {
        if (!reply.ok) { throw new Error(String(reply.status)); }
        return reply.text();
      })
      .then(function (html) {
        panel.innerHTML = html;
        var chosen = panel.querySelector("[data-code]");
        mark(chosen ? chosen.getAttribute("data-code") : null);
        history.replaceState(null, "", href);
      })
      .catch(function () { window.location.href = href; });
  });
})();
