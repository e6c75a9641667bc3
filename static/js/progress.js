// A progress bar that follows long work (a campaign being sent, a contact import) while the page is open.
// Markup: a box with data-progress-url (a JSON endpoint answering {percent, text, running}) and, while the work
// runs, data-progress-running; inside it a <progress> and a role="status" text. When the work stops the page
// reloads to show the outcome. Without JavaScript the page's "Vernieuwen" link or its own refresh does this.
(function () {
  "use strict";
  var INTERVAL = 2000;

  function follow(box) {
    var bar = box.querySelector("progress");
    var text = box.querySelector("[role=status]");

    function poll() {
      fetch(box.dataset.progressUrl, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          bar.value = data.percent;
          bar.textContent = data.percent + "%";
          text.textContent = data.text;
          if (data.running) { setTimeout(poll, INTERVAL); } else { window.location.reload(); }
        });
    }
    setTimeout(poll, INTERVAL);
  }

  document.querySelectorAll("[data-progress-url][data-progress-running]").forEach(follow);
})();
