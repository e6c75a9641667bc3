// Updates the progress bar of a sending campaign every few seconds; the "Vernieuwen" link works without it.
(function () {
  "use strict";
  var box = document.getElementById("campaign-progress");
  if (!box || box.dataset.status !== "sending") { return; }
  var bar = box.querySelector("progress");
  var text = document.getElementById("progress-text");

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
        text.textContent = data.done + " van " + data.total + " afgehandeld (" + data.percent + "%).";
        if (data.status === "sending") { setTimeout(poll, 3000); } else { window.location.reload(); }
      });
  }
  setTimeout(poll, 3000);
})();
