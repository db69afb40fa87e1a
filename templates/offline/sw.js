// greenapp service worker (served at /sw.js by greenapp/offline/routes.py).
// Keeps the log form page and the static files it needs, so the form opens with no
// network; entries typed offline wait in IndexedDB (static/js/offline.js), not here.
// The cache name follows the hashed static URLs: a deploy brings a new worker, which
// drops the old cache. POSTs, JSON and every other page go to the network untouched.
"use strict";
var CACHE = {{ cache_name|tojson }};
var PRECACHE = {{ precache|tojson }};
var SHELL = {{ form_page|tojson }};
var STATIC = {{ static_prefix|tojson }};
var HASHED = /\.[0-9a-f]{12}\.[^./]+$/;

// Fetched in the background (while the worker installs): the header tells the server
// that its answer must not change the browser's session cookie. Without it, a signed-out
// answer could arrive after the sign-in and sign the person out again.
function keepShell(cache) {
  return fetch(SHELL, { credentials: "same-origin", redirect: "manual", cache: "no-store",
                        headers: { "X-Greenapp-Background": "1" } })
    .then(function (resp) {
      if (resp.ok && resp.type === "basic") { return cache.put(SHELL, resp); }
      return cache.delete(SHELL);
    })
    .catch(function () { /* offline while installing: keep what we had */ });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) {
        return cache.addAll(PRECACHE).then(function () { return keepShell(cache); });
      })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("greenapp-") === 0 && name !== CACHE;
        }).map(function (name) { return caches.delete(name); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf(STATIC) === 0 && HASHED.test(url.pathname)) {
    // Hashed static files never change: the cache first, the network to fill it.
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || fetch(request).then(function (resp) {
          if (resp.ok) { cache.put(request, resp.clone()); }
          return resp;
        });
      });
    }));
    return;
  }
  if (request.mode === "navigate" && url.pathname === SHELL) {
    // The form page: the network first (fresh token, current language), the kept copy
    // when there is no network.
    event.respondWith(fetch(request).then(function (resp) {
      if (resp.ok && resp.type === "basic" && !url.search) {
        var copy = resp.clone();
        event.waitUntil(caches.open(CACHE).then(function (cache) {
          return cache.put(SHELL, copy);
        }));
      } else if (resp.type === "opaqueredirect") {  // signed out: forget the kept page
        event.waitUntil(caches.open(CACHE).then(function (cache) {
          return cache.delete(SHELL);
        }));
      }
      return resp;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(SHELL);
      }).then(function (hit) { return hit || Response.error(); });
    }));
  }
});

self.addEventListener("message", function (event) {
  if (event.data === "forget-shell") {
    caches.open(CACHE).then(function (cache) { return cache.delete(SHELL); });
  }
});
