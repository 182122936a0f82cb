// Live pages: open the websocket named in the page's config (rendered with json_script) through htmx's ws
// extension, which applies the server's out-of-band fragments. Pushes are hints, so after a reconnect the page
// refetches its live region instead of trusting that nothing was missed.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("live-config").textContent);
  var socket = document.getElementById("live-socket");
  var opened = 0;

  document.body.addEventListener("htmx:wsOpen", function () {
    opened += 1;
    document.body.dataset.live = "open";
    if (opened > 1 && document.getElementById("live-region")) {
      htmx.ajax("GET", window.location.href, { target: "#live-region", select: "#live-region", swap: "outerHTML" });
    }
  });
  document.body.addEventListener("htmx:wsClose", function () {
    document.body.dataset.live = "closed";
  });

  // Rows pushed to the top of the list replace their old place instead of appearing twice.
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "issue-rows") return;
    event.detail.fragment.querySelectorAll("tr[id]").forEach(function (row) {
      var old = document.getElementById(row.id);
      if (old) old.remove();
    });
    var empty = document.getElementById("no-issues");
    if (empty) empty.remove();
  });

  // A push names the rows that changed, but the server does not know which rows this page shows (a later page,
  // another sort): rows updated in place that are not here are dropped before htmx swaps them, instead of
  // htmx reporting each as an error (oobErrorNoTarget). New rows arrive inside the <tbody> that adds them.
  document.addEventListener("DOMContentLoaded", function () {
    htmx.defineExtension("live-rows", {
      transformResponse: function (text) {
        var template = document.createElement("template");
        template.innerHTML = text;
        Array.from(template.content.children).forEach(function (element) {
          if (element.tagName === "TR" && !document.getElementById(element.id)) element.remove();
        });
        return template.innerHTML;
      },
    });
  });

  // This script runs before the deferred htmx scripts; htmx connects the socket when it processes the page at
  // DOMContentLoaded, which is as early as it can (and calling htmx here would fail: it is not loaded yet).
  socket.setAttribute("ws-connect", config.socket);
})();
