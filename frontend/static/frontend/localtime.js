// Times marked data-local-time are shown in the viewer's time zone, with the UTC time they stand for on hover.
// Without JavaScript they stay as the server wrote them: UTC, in ISO 8601.
(function () {
  "use strict";
  function localise(root) {
    root.querySelectorAll("time[data-local-time]").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (isNaN(moment.getTime())) return;
      var time = moment.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
      var millis = String(moment.getMilliseconds()).padStart(3, "0");
      element.textContent = time + "." + millis;
      element.title = moment.toISOString().replace("T", " ").replace("Z", " UTC");
      element.removeAttribute("data-local-time");
    });
  }
  localise(document);
  document.addEventListener("htmx:afterSettle", function (event) { localise(event.target); });
})();
