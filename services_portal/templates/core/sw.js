{% autoescape off %}// The portal's service worker (served at /sw.js by services_portal/core/webapp.py, whose docstring and the
// README's "Installable web app" give the rule). It keeps only the app shell: the static files and the
// offline page listed below, fetched without cookies when it is installed. It never stores anything
// else: no page a person opens (signed in or not), no API answer, nothing sent with cookies. When a
// page cannot be loaded because there is no connection, it shows the offline page.
"use strict";

var VERSION = "{{ version }}";
var CACHE = "portal-shell-" + VERSION;
var OFFLINE_URL = {{ offline_url }};
var SHELL = {{ shell }};

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(SHELL.map(function (url) {
        return fetch(url, { credentials: "omit", cache: "no-cache" }).then(function (response) {
          if (!response.ok) { throw new Error(url + " answered " + response.status); }
          return cache.put(url, response);
        });
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

// A deploy brings new bytes, so a new worker and a new cache: the old caches go.
self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("portal-shell-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    // Pages always from the network, never stored; the offline page only when the network fails.
    event.respondWith(fetch(request).catch(function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(OFFLINE_URL); })
        .then(function (offline) { return offline || Response.error(); });
    }));
    return;
  }
  if (SHELL.indexOf(url.pathname) !== -1 && !url.search) {
    // A file of the shell: the kept copy, else the network (the copy is not updated from here).
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (kept) { return kept || fetch(request); });
    }));
  }
  // Anything else (API calls, other files, WebSockets) goes to the network as if there were no worker.
});
{% endautoescape %}
