// Live recipient count in the campaign editor. Without JavaScript the "Tel ontvangers" button does the same.
(function () {
  "use strict";
  var form = document.getElementById("campaign-form");
  var output = document.getElementById("recipient-count");
  if (!form || !output) { return; }
  var fields = ["list_id", "audience_type", "municipality", "topic", "event_relation", "event_id"];
  var timer = null;

  function count() {
    var params = new URLSearchParams();
    fields.forEach(function (name) {
      var element = form.elements[name];
      if (element) { params.set(name, element.value); }
    });
    fetch(form.dataset.countUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) { output.textContent = data.count + (data.count === 1 ? " ontvanger" : " ontvangers") + " met deze keuzes"; }
      });
  }

  fields.forEach(function (name) {
    var element = form.elements[name];
    if (!element) { return; }
    element.addEventListener(element.tagName === "SELECT" ? "change" : "input", function () {
      clearTimeout(timer);
      timer = setTimeout(count, 300);
    });
  });
  count();
})();
