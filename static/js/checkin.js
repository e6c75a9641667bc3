// The door page without page loads: camera scanning, typed codes, search as you type, live counts,
// and the same without a connection: the event's list (name, organisation, door code) is kept in
// IndexedDB, scans wait in a queue there with their nonce, and are sent when the connection returns
// (the server answers a repeated nonce once, so sending twice is harmless).
// Without JavaScript the same page works through its forms; this file only enhances it.
(function () {
  "use strict";

  var door = document.getElementById("door");
  if (!door) {
    return;
  }
  var result = document.getElementById("door-result");
  var codeForm = document.getElementById("code-form");
  var deviceInput = document.getElementById("device");
  var text = {  // translated by the server, see data-text-* on #door
    undo: door.dataset.textUndo, undoCheckIn: door.dataset.textUndoCheckIn, checkIn: door.dataset.textCheckIn,
    offline: door.dataset.textOffline, searchFailed: door.dataset.textSearchFailed,
    cameraFailed: door.dataset.textCameraFailed, offlineMode: door.dataset.textOfflineMode,
    onlineMode: door.dataset.textOnlineMode, waiting: door.dataset.textWaiting, listSaved: door.dataset.textListSaved,
    noList: door.dataset.textNoList, synced: door.dataset.textSynced, syncedAlready: door.dataset.textSyncedAlready,
    offlineCheckedIn: door.dataset.textOfflineCheckedIn, offlineAlready: door.dataset.textOfflineAlready,
    notOnList: door.dataset.textNotOnList, onDevice: door.dataset.textOnDevice, tooShort: door.dataset.textTooShort,
    nobody: door.dataset.textNobody, limited: door.dataset.textLimited
  };
  var eventId = Number(door.dataset.eventId);
  var DEVICE_KEY = "weerbaar.checkin.device";
  var RETRIES = 3;

  function nonce() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function showCounts(counts) {
    Object.keys(counts).forEach(function (name) {
      var cell = door.querySelector('[data-count="' + name + '"]');
      if (cell) { cell.textContent = counts[name]; }
    });
  }

  function undoForm(registrationId, button) {
    var form = element("form");
    form.method = "post";
    form.action = door.dataset.undoUrl.replace("/0/", "/" + registrationId + "/");
    [["csrf_token", door.dataset.csrf], ["nonce", nonce()], ["device", deviceInput ? deviceInput.value : ""]]
      .forEach(function (pair) {
        var input = element("input");
        input.type = "hidden";
        input.name = pair[0];
        input.value = pair[1];
        form.appendChild(input);
      });
    form.appendChild(button || element("button", "utrecht-button utrecht-button--secondary-action", text.undo));
    return form;
  }

  function showResult(answer) {
    result.className = "door-result door-result--" + (answer.tone || "error");
    result.replaceChildren();
    var headline = element("p", "door-result__headline", answer.headline || answer.error);
    headline.dataset.result = answer.result || "error";
    result.appendChild(headline);
    if (answer.detail) { result.appendChild(element("p", "door-result__detail", answer.detail)); }
    if (answer.result === "checked_in" && answer.registration_id) {
      result.appendChild(undoForm(answer.registration_id));
    }
    if (answer.counts) { showCounts(answer.counts); }
  }

  function scanBody(code, scanNonce, scannedAt) {
    return { code: code, nonce: scanNonce, scanned_at: scannedAt, device: deviceInput ? deviceInput.value : "" };
  }

  function postScan(body) {
    return fetch(door.dataset.scanUrl, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": door.dataset.csrf, "Accept": "application/json" }
    });
  }

  // The same nonce on every retry: the server answers a repeated scan once, with its first answer.
  // Without a connection the scan goes to the offline list and the queue, still with that nonce:
  // if a retry did reach the server, the queued copy is answered from the log and writes nothing.
  function sendScan(code) {
    var body = scanBody(code, nonce(), new Date().toISOString());
    if (!navigator.onLine) { return offline.scan(body); }
    function attempt(left) {
      return postScan(body).then(function (response) {
        if (response.status >= 500 && left > 0) { throw new Error("retry"); }
        if (response.status === 429) { return { tone: "error", headline: text.limited }; }
        return response.json();
      }).catch(function (error) {
        if (left > 0 && navigator.onLine) {
          return new Promise(function (resolve) { setTimeout(resolve, 800); }).then(function () { return attempt(left - 1); });
        }
        throw error;
      });
    }
    return attempt(RETRIES).then(function (answer) {
      if (answer.result === "checked_in" || answer.result === "already_checked_in") { offline.mark(code); }
      showResult(answer);
    }).catch(function () { return offline.scan(body); });
  }

  if (deviceInput) {
    deviceInput.value = deviceInput.value || window.localStorage.getItem(DEVICE_KEY) || "";
    deviceInput.addEventListener("change", function () { window.localStorage.setItem(DEVICE_KEY, deviceInput.value); });
  }

  if (codeForm) {
    codeForm.addEventListener("submit", function (event) {
      var code = codeForm.elements.code.value.trim();
      if (!code) { return; }  // the server explains the empty field
      event.preventDefault();
      sendScan(code).then(function () { codeForm.elements.code.value = ""; codeForm.elements.code.focus(); });
    });
  }

  // Camera scanning (html5-qrcode from static/vendor); the same ticket within 3 s is one scan.
  var camera = document.getElementById("camera");
  var toggle = document.getElementById("camera-toggle");
  var cameraMessage = document.getElementById("camera-message");
  if (camera && window.Html5Qrcode && navigator.mediaDevices) {
    camera.hidden = false;
    var scanner = null;
    var last = { code: "", at: 0 };
    toggle.addEventListener("click", function () {
      if (scanner) {
        scanner.stop().then(function () { scanner = null; toggle.textContent = toggle.dataset.start; });
        return;
      }
      scanner = new window.Html5Qrcode("scanner");
      scanner.start({ facingMode: "environment" }, { fps: 10, qrbox: 220 }, function (code) {
        var now = Date.now();
        if (code === last.code && now - last.at < 3000) { return; }
        last = { code: code, at: now };
        sendScan(code);
      }).then(function () {
        toggle.textContent = toggle.dataset.stop;
        cameraMessage.textContent = "";
      }).catch(function () {
        scanner = null;
        cameraMessage.textContent = text.cameraFailed;
      });
    });
  }

  // Search as you type.
  var searchForm = document.getElementById("search-form");
  var searchInput = document.getElementById("zoek");
  var searchMessage = document.getElementById("search-message");
  var searchResults = document.getElementById("search-results");
  var searchTimer = null;

  // The same person as the server-rendered search (_person.html): each button names whom it is for.
  function personButton(tone, label, name) {
    var button = element("button", "utrecht-button utrecht-button--" + tone + "-action", label);
    button.appendChild(element("span", "visually-hidden", ": " + name));
    return button;
  }

  function person(found) {
    var item = element("li", "door-person");
    var line = element("p", "utrecht-paragraph");
    line.appendChild(element("strong", "", found.name));
    line.appendChild(document.createTextNode((found.company ? " · " + found.company : "")));
    line.appendChild(element("br"));
    line.appendChild(element("span", "break", found.email));
    line.appendChild(document.createTextNode(" · " + found.status_label));
    if (found.checked_in) {
      line.appendChild(element("br"));
      line.appendChild(document.createTextNode(found.checked_in));
    }
    item.appendChild(line);
    if (found.checked_in) {
      item.appendChild(undoForm(found.id, personButton("secondary", text.undoCheckIn, found.name)));
    } else if (found.status === "confirmed") {
      var button = personButton("primary", text.checkIn, found.name);
      button.type = "button";
      button.addEventListener("click", function () { sendScan(found.code).then(search); });
      item.appendChild(button);
    }
    return item;
  }

  function search() {
    var term = searchInput.value.trim();
    if (!navigator.onLine) { return offline.search(term); }
    var url = door.dataset.searchUrl + "?q=" + encodeURIComponent(term);
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        searchMessage.textContent = answer.message || "";
        searchResults.replaceChildren.apply(searchResults, answer.results.map(person));
      })
      .catch(function () { return offline.search(term); });
  }

  if (searchForm && searchInput) {
    searchForm.addEventListener("submit", function (event) { event.preventDefault(); search(); });
    searchInput.addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(search, 200);
    });
  }

  // Live counts: other devices check people in too.
  function refreshCounts() {
    return fetch(door.dataset.countsUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(showCounts)
      .catch(function () {});
  }
  setInterval(function () { if (navigator.onLine) { refreshCounts(); } }, 15000);

  var offline = window.WeerbaarDoorOffline({
    door: door, eventId: eventId, text: text, nonce: nonce, element: element, personButton: personButton,
    showResult: showResult, showCounts: showCounts, postScan: postScan, refreshCounts: refreshCounts,
    searchMessage: searchMessage, searchResults: searchResults
  });
  offline.start();
}());
