/* Siaga TPS field pages' service worker: the field pages and their CSS/JS, network first, with the
   last copy served when there is no connection (so an officer can still open the incident form and
   queue a report). Only on secure origins (https, localhost): plain-http LAN pages do without it. */
"use strict";
var CACHE = "siaga-field-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("message", function (event) {
  if (event.data === "logout") { caches.delete(CACHE); }  // no one else's pages left on a shared phone
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/lapangan/") !== 0 && url.pathname.indexOf("/static/") !== 0) { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.status === 200 && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) { return hit || Response.error(); });
    });
  }));
});
