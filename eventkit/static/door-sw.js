/* eventkit door service worker (scope /door/): keeps the door page and its assets available without
   a network. Network first, so an online phone always gets the current page; the cache answers only
   when the network does not. The JSON API is never cached (the page keeps its data in IndexedDB). */
"use strict";
var CACHE = "eventkit-door-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function cacheable(url) {
  return url.origin === self.location.origin && !url.pathname.startsWith("/api/") &&
    (url.pathname.startsWith("/door/") || url.pathname.startsWith("/static/"));
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || !cacheable(url)) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) {
        return cache.match(request).then(function (known) { if (known) return cache.put(request, copy); });
      });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(request); }).then(function (cached) {
      return cached || Response.error();
    });
  }));
});
