// The issue list's bulk actions: their buttons are enabled only while issues are selected, and a checkbox in the
// table's head selects or clears every row shown. Without JavaScript the buttons stay enabled and an empty
// selection is answered on the page itself. Everything is looked up at each event, since a refetch after a
// reconnect replaces the whole live region.
(function () {
  "use strict";
  var ROWS = 'input[type=checkbox][form="bulk-actions"]';

  function update() {
    var form = document.getElementById("bulk-actions");
    var all = document.getElementById("select-all");
    if (!form || !all) return;
    var rows = Array.from(document.querySelectorAll(ROWS));
    var selected = rows.filter(function (box) { return box.checked; }).length;
    form.querySelectorAll("button").forEach(function (button) { button.disabled = selected === 0; });
    all.hidden = false;
    all.checked = rows.length > 0 && selected === rows.length;
    all.indeterminate = selected > 0 && selected < rows.length;
    document.getElementById("selected-count").textContent = selected
      ? selected + (selected === 1 ? " issue" : " issues") + " selected:"
      : "Select issues to act on them:";
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "select-all") {
      document.querySelectorAll(ROWS).forEach(function (box) { box.checked = event.target.checked; });
    }
    if (event.target.id === "select-all" || event.target.matches(ROWS)) update();
  });
  // Live pushes add and remove rows, and a reconnect refetches the region: the state follows.
  document.addEventListener("htmx:wsAfterMessage", update);
  document.addEventListener("htmx:afterSettle", update);
  update();
})();
