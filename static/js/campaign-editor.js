// Campaign editor: live recipient count and live preview. Without JavaScript the "Tel ontvangers"
// and "Opslaan en voorbeeld bijwerken" buttons do the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("campaign-form");
  if (!form) { return; }
  var countOutput = document.getElementById("recipient-count");
  var previewStatus = document.getElementById("preview-status");
  var audienceFields = ["list_id", "tag_id", "audience_type", "municipality", "topic", "event_relation", "event_id"];

  function debounce(action, wait) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(action, wait);
    };
  }

  function count() {
    var params = new URLSearchParams();
    audienceFields.forEach(function (name) {
      var element = form.elements[name];
      if (element) { params.set(name, element.value); }
    });
    fetch(form.dataset.countUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) { countOutput.textContent = data.count + (data.count === 1 ? " ontvanger" : " ontvangers") + " met deze keuzes"; }
      });
  }

  function preview() {
    fetch(form.dataset.previewUrl, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.ok) {
          previewStatus.textContent = "";
          document.querySelectorAll(".campaign-preview iframe").forEach(function (frame) {
            frame.src = form.dataset.previewUrl + "?t=" + Date.now();
          });
        } else {
          previewStatus.textContent = data.error + " Het voorbeeld toont de laatste versie zonder fouten.";
        }
      });
  }

  var recount = debounce(count, 300);
  audienceFields.forEach(function (name) {
    var element = form.elements[name];
    if (element) { element.addEventListener(element.tagName === "SELECT" ? "change" : "input", recount); }
  });
  if (form.elements.mjml_source) { form.elements.mjml_source.addEventListener("input", debounce(preview, 800)); }
  count();
})();
