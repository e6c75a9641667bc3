// The door's service worker (served from /beheer/check-in/door-sw.js, so it controls the door's pages
// and nothing else). It keeps the door page and its static files so that the page opens without a
// connection; the list of people and the queue of scans live in IndexedDB (checkin.js), never here.
// JSON requests always go to the network: the page decides what to do when they fail.
"use strict";

var CACHE = "weerbaar-door-v1";
var DOOR_PAGE = /\/beheer\/check-in\/\d+$/;

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("weerbaar-door-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(request, key) {
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(key).then(function (cached) { return cached || Response.error(); });
  });
}

// Stale while revalidate: the kept copy at once, and a fresh one for next time when there is a connection.
function keptThenRefreshed(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (cached) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
      if (cached) {
        fresh.catch(function () {});
        return cached;
      }
      return fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && DOOR_PAGE.test(url.pathname)) {
    // Only the bare door page is kept: a search (?zoek=) shows addresses and is never stored.
    event.respondWith(url.search ? fetch(request) : networkFirst(request, url.pathname));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(keptThenRefreshed(request));
  }
});
