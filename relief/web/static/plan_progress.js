// A plan computing in the background (duty_response.html, [data-progress-url]): poll its
// progress every second, move the bar and the stage's words, and reload the page once the
// plan is made (or has failed) so that it shows as every other plan.
(function () {
  "use strict";
  var items = document.querySelectorAll("[data-progress-url]");
  if (!items.length) return;
  function poll(li) {
    fetch(li.getAttribute("data-progress-url"), { credentials: "same-origin" })
      .then(function (reply) { return reply.ok ? reply.json() : null; })
      .then(function (p) {
        if (!p) { setTimeout(function () { poll(li); }, 3000); return; }
        if (p.state !== "computing") { window.location.reload(); return; }
        var bar = li.querySelector("progress");
        var stage = li.querySelector("[data-stage]");
        var count = li.querySelector("[data-count]");
        if (bar) { bar.max = p.total || 1; bar.value = p.done; }
        if (stage) stage.textContent = li.getAttribute("data-stage-" + p.stage) || p.stage;
        if (count) count.textContent = p.total ? p.done + "/" + p.total : "";
        setTimeout(function () { poll(li); }, 1000);
      })
      .catch(function () { setTimeout(function () { poll(li); }, 3000); });
  }
  for (var i = 0; i < items.length; i++) poll(items[i]);
})();
