// The alerts forms: a part marked data-show-if="name=value,value" is shown only while a field of that name holds
// one of the values (a channel's kind, email to listed addresses, a frequency trigger's N and M). Without
// JavaScript every part shows, each saying when it applies.
(function () {
  "use strict";

  function applies(element) {
    var condition = element.dataset.showIf.split("=");
    var wanted = condition[1].split(",");
    var fields = element.closest("form").querySelectorAll("[name='" + condition[0] + "']");
    return Array.prototype.some.call(fields, function (field) {
      var chosen = field.type === "checkbox" || field.type === "radio" ? field.checked : true;
      return chosen && wanted.indexOf(field.value) >= 0;
    });
  }

  function update() {
    document.querySelectorAll("[data-show-if]").forEach(function (element) {
      // A part with an error stays in view, so that the error can be read and fixed.
      element.hidden = !applies(element) && !element.querySelector(".field-error");
    });
  }

  document.addEventListener("change", update);
  update();

  // A test message may take up to 10 s: show that it is under way, and do not send it twice.
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("button[data-busy]");
    if (!button) return;
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
  });
})();
