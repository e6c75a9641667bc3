// The door without a connection (used by checkin.js): the event's list on this device, the queue of
// scans that wait, and sending them when the connection returns.
//
// What the device keeps (IndexedDB through idb-keyval): per event, its list of confirmed people with
// only name, organisation, door code, a SHA-256 of the QR secret and whether they were checked in;
// and the queue of scans (code, nonce, device time, device name). The list is deleted once the event
// has ended; the queue is kept until the server has answered each scan.
(function () {
  "use strict";

  var LOOK_ALIKES = { Z: "2", S: "5", B: "8" };  // as events/doorcode.py: a look-alike counts as the kept symbol
  var SYNC_EVERY = 10000;
  var PRUNE_EVERY = 60000;
  var LIST_EVERY = 300000;  // a fresh list every five minutes while connected (each download is audited)

  window.WeerbaarDoorOffline = function (page) {
    var keyval = window.idbKeyval;
    var lists = keyval && keyval.createStore("weerbaar-door-lists", "lists");
    var queue = keyval && keyval.createStore("weerbaar-door-queue", "scans");
    var text = page.text;
    var box = document.getElementById("door-connection");
    var modeLine = document.getElementById("door-connection-mode");
    var pendingLine = document.getElementById("door-pending");
    var listLine = document.getElementById("door-list-state");
    var doorCode = new RegExp("^[" + page.door.dataset.doorAlphabet + "]{8}$");
    var syncing = null;
    var lastSync = "";

    function fill(template, values) {
      return template.replace(/\{(\w+)\}/g, function (match, name) { return values[name]; });
    }

    function normaliseDoorCode(typed) {
      var compact = typed.replace(/[\s\-\u2013.]+/g, "").toUpperCase().replace(/[ZSB]/g, function (c) { return LOOK_ALIKES[c]; });
      return doorCode.test(compact) ? compact : null;
    }

    function sha256(value) {
      return window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)).then(function (digest) {
        return Array.prototype.map.call(new Uint8Array(digest), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      });
    }

    function eventScans() {
      return keyval.entries(queue).then(function (entries) {
        return entries.map(function (entry) { return entry[1]; })
          .filter(function (scan) { return scan.event_id === page.eventId; })
          .sort(function (a, b) { return a.queued < b.queued ? -1 : 1; });
      });
    }

    function showState() {
      if (!keyval) { return Promise.resolve(); }
      box.hidden = false;
      box.className = "utrecht-alert " + (navigator.onLine ? "utrecht-alert--info" : "utrecht-alert--warning");
      modeLine.textContent = navigator.onLine ? text.onlineMode : text.offlineMode;
      return Promise.all([eventScans(), keyval.get(page.eventId, lists)]).then(function (found) {
        var waiting = found[0].length;
        pendingLine.dataset.pending = String(waiting);
        pendingLine.textContent = fill(text.waiting, { count: waiting }) + (lastSync ? " " + lastSync : "");
        var list = found[1];
        listLine.textContent = list ? fill(text.listSaved, {
          count: list.people.length,
          time: new Date(list.fetched_at).toLocaleTimeString("nl-NL", { hour: "2-digit", minute: "2-digit" })
        }) : text.noList;
      });
    }

    function ended(list) {
      return new Date(list.ends_at).getTime() <= Date.now();
    }

    // The list leaves the device when its event has ended, whichever event's page is open.
    function prune() {
      return keyval.entries(lists).then(function (entries) {
        return Promise.all(entries.filter(function (entry) { return ended(entry[1]); })
          .map(function (entry) { return keyval.del(entry[0], lists); }));
      });
    }

    function download() {
      return fetch(page.door.dataset.listUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          if (response.redirected || [401, 403, 404].indexOf(response.status) !== -1 || (response.ok && !json)) {
            // Signed out, or no longer allowed at this door: the device forgets every list it holds.
            return keyval.clear(lists).then(function () { throw new Error("not allowed"); });
          }
          if (!response.ok) { throw new Error("list " + response.status); }
          return response.json();
        })
        .then(function (list) {
          if (ended(list)) { return keyval.del(page.eventId, lists); }
          return eventScans().then(function (waiting) {
            // Scans that are not sent yet stay checked in on this device.
            var queued = {};
            waiting.forEach(function (scan) { queued[scan.person] = true; });
            list.people.forEach(function (person) { person.checked_in = person.checked_in || !!queued[person.code]; });
            return keyval.set(page.eventId, list, lists);
          });
        });
    }

    function findPerson(list, code) {
      var typed = normaliseDoorCode(code);
      if (typed) {
        return Promise.resolve(list.people.filter(function (person) { return person.code === typed; })[0]);
      }
      return sha256(code).then(function (ticket) {
        return list.people.filter(function (person) { return person.ticket === ticket; })[0];
      });
    }

    // A scan without a connection: decided against the list, answered at once, queued for the server.
    function scan(body) {
      if (!keyval) { page.showResult({ tone: "error", headline: text.offlineMode }); return Promise.resolve(); }
      return keyval.get(page.eventId, lists).then(function (list) {
        if (!list || ended(list)) { page.showResult({ tone: "error", headline: text.noList }); return null; }
        return findPerson(list, body.code).then(function (person) {
          if (!person) { page.showResult({ tone: "error", result: "not_on_list", headline: text.notOnList }); return null; }
          var already = person.checked_in;
          var scanRecord = Object.assign({ event_id: page.eventId, person: person.code, queued: Date.now() + Math.random() }, body);
          return keyval.set(body.nonce, scanRecord, queue).then(function () {
            return keyval.update(page.eventId, function (stored) {
              stored.people.forEach(function (other) { if (other.code === person.code) { other.checked_in = true; } });
              return stored;
            }, lists);
          }).then(function () {
            page.showResult(already
              ? { tone: "warning", result: "already_checked_in", headline: text.offlineAlready, detail: person.name }
              : { tone: "ok", result: "checked_in", headline: text.offlineCheckedIn, detail: person.name });
            if (!already) { countLocally(); }
          });
        });
      }).then(showState);
    }

    // An answer from the server about `code`: the list on this device follows it.
    function mark(code) {
      if (!keyval) { return Promise.resolve(); }
      return keyval.get(page.eventId, lists).then(function (list) {
        return list && findPerson(list, code).then(function (found) {
          if (!found) { return null; }
          return keyval.update(page.eventId, function (stored) {
            stored.people.forEach(function (other) { if (other.code === found.code) { other.checked_in = true; } });
            return stored;
          }, lists);
        });
      });
    }

    function countLocally() {
      var checkedIn = page.door.querySelector('[data-count="checked_in"]');
      var expected = page.door.querySelector('[data-count="expected"]');
      checkedIn.textContent = Number(checkedIn.textContent) + 1;
      expected.textContent = Math.max(0, Number(expected.textContent) - 1);
    }

    function person(found) {
      var item = page.element("li", "door-person");
      var line = page.element("p", "utrecht-paragraph");
      line.appendChild(page.element("strong", "", found.name));
      line.appendChild(document.createTextNode(found.organisation ? " · " + found.organisation : ""));
      if (found.checked_in) {
        line.appendChild(page.element("br"));
        line.appendChild(document.createTextNode(text.onDevice));
      }
      item.appendChild(line);
      var button = page.personButton(found.checked_in ? "secondary" : "primary", text.checkIn, found.name);
      button.type = "button";
      button.addEventListener("click", function () {
        scan({ code: found.code, nonce: page.nonce(), scanned_at: new Date().toISOString(),
               device: (document.getElementById("device") || {}).value || "" }).then(function () { search(lastTerm); });
      });
      item.appendChild(button);
      return item;
    }

    var lastTerm = "";
    function search(term) {
      lastTerm = term;
      if (!keyval) { return Promise.resolve(); }
      var wanted = term.trim().toLowerCase();
      if (wanted.length < 2) {
        page.searchMessage.textContent = text.tooShort;
        page.searchResults.replaceChildren();
        return Promise.resolve();
      }
      return keyval.get(page.eventId, lists).then(function (list) {
        var people = (list && !ended(list) ? list.people : []).filter(function (candidate) {
          return (candidate.name + " " + candidate.organisation).toLowerCase().indexOf(wanted) !== -1;
        }).slice(0, 20);
        page.searchMessage.textContent = !list ? text.noList : (people.length ? "" : text.nobody);
        page.searchResults.replaceChildren.apply(page.searchResults, people.map(person));
      });
    }

    // Sends the waiting scans one by one, oldest first. A scan leaves the queue once the server has
    // answered it (checked in, already checked in, refused); without an answer it stays for the next try.
    function sync() {
      if (!keyval || !navigator.onLine) { return Promise.resolve(); }
      if (syncing) { return syncing; }
      var sent = 0;
      var already = 0;
      syncing = eventScans().then(function (scans) {
        return scans.reduce(function (previous, queued) {
          return previous.then(function () {
            var body = { code: queued.code, nonce: queued.nonce, scanned_at: queued.scanned_at, device: queued.device };
            return page.postScan(body).then(function (response) {
              var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
              if (response.status >= 500 || response.status === 429 || !json) { throw new Error("later"); }
              return response.json().then(function (answer) {
                sent += 1;
                if (answer.result === "already_checked_in") { already += 1; }
                return keyval.del(queued.nonce, queue);
              });
            });
          });
        }, Promise.resolve());
      }).catch(function () {}).then(function () {
        if (!sent) { return null; }
        lastSync = fill(text.synced, { count: sent }) + (already ? " " + fill(text.syncedAlready, { count: already }) : "");
        page.refreshCounts();
        return download().catch(function () {});
      }).then(function () {
        syncing = null;
        return showState();
      });
      return syncing;
    }

    // Keeps the page itself and its files, so that it opens again without a connection.
    function keepPage() {
      if (!window.caches) { return Promise.resolve(); }
      var files = [window.location.pathname];
      document.querySelectorAll('link[rel="stylesheet"], script[src]').forEach(function (node) {
        files.push(node.href || node.src);
      });
      return window.caches.open("weerbaar-door-v1").then(function (cache) { return cache.addAll(files); }).catch(function () {});
    }

    function start() {
      if (!keyval || !window.indexedDB) { return; }
      if (navigator.serviceWorker && window.isSecureContext) {
        navigator.serviceWorker.register(page.door.dataset.swUrl, { scope: page.door.dataset.swScope }).catch(function () {});
      }
      window.addEventListener("online", function () { showState().then(sync); });
      window.addEventListener("offline", showState);
      setInterval(sync, SYNC_EVERY);
      setInterval(function () { if (navigator.onLine) { download().then(showState).catch(function () {}); } }, LIST_EVERY);
      setInterval(function () { prune().then(showState); }, PRUNE_EVERY);
      prune().then(showState).then(function () {
        if (!navigator.onLine) { return null; }
        page.door.dataset.offlineReady = "loading";
        return Promise.all([keepPage(), sync().then(download)]).catch(function () {});
      }).then(function () {
        page.door.dataset.offlineReady = "ready";
        return showState();
      });
    }

    return { scan: scan, search: search, sync: sync, start: start, mark: mark };
  };
}());
