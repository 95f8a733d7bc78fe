/* Siaga TPS field pages' service worker: the field pages, network first, with the last copy served when
   there is no connection (so an officer can still open the incident form and queue a report). Only on
   secure origins (https, localhost): plain-http LAN pages do without it.

   Field pages carry names (patients, officers), so their copies belong to one login and end with it:
   - they are kept in a cache named after the login, "siaga-field-<sid>.<expires>", from the server's
     X-Siaga-Session header (siaga/auth.py); a page of another login makes the older caches go;
   - a page answered without that header (logged out, expired, 401) deletes every cached page, and so does
     the message {type: "session", key: ""} that every page of the app sends when nobody is logged in
     and when logging out (siaga/static/js/session.js);
   - a cache past its expiry (30 h after login) is deleted, not served, even offline.
   CSS and JS, the same for everyone, are kept apart in STATIC. */
"use strict";
var PAGES = "siaga-field-", STATIC = "siaga-static-v2";

function expiresAt(name) { return Number(name.slice(name.lastIndexOf(".") + 1)) * 1000 || 0; }
function isPageCache(name) { return name.indexOf(PAGES) === 0; }

/* Delete every page cache but the one of login `key` (if not expired); resolves to that cache's name. */
function keepOnly(key) {
  var wanted = key && expiresAt(PAGES + key) > Date.now() ? PAGES + key : null;
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return isPageCache(n) && n !== wanted; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return wanted; });
}

/* Offline: the copy of a page from the one unexpired login's cache (expired ones are deleted first). */
function cachedPage(request) {
  return caches.keys().then(function (names) {
    var live = names.filter(function (n) { return isPageCache(n) && expiresAt(n) > Date.now(); });
    return keepOnly(live.length === 1 ? live[0].slice(PAGES.length) : "");
  }).then(function (name) {
    return name ? caches.open(name).then(function (cache) { return cache.match(request); }) : undefined;
  });
}

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {  // the first version's cache, expired logins
    return Promise.all(names.filter(function (n) { return isPageCache(n) && expiresAt(n) <= Date.now(); })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data === "logout") { data = {type: "session", key: ""}; }  // pages of the previous version
  if (data.type === "session") { event.waitUntil(keepOnly(data.key || "")); }
});

function fromNetworkOrCache(request, store) {
  return fetch(request).then(function (response) {
    return store(response).then(function () { return response; }, function () { return response; });
  }, function () {
    return store.offline(request).then(function (hit) { return hit || Response.error(); });
  });
}

function staticFile(request) {
  var store = function (response) {
    if (response.status !== 200 || response.type !== "basic") { return Promise.resolve(); }
    var copy = response.clone();
    return caches.open(STATIC).then(function (cache) { return cache.put(request, copy); });
  };
  store.offline = function (req) { return caches.open(STATIC).then(function (cache) { return cache.match(req); }); };
  return fromNetworkOrCache(request, store);
}

function page(request) {
  var store = function (response) {
    if (response.type === "opaqueredirect") { return Promise.resolve(); }  // its headers are hidden
    var key = response.headers.get("X-Siaga-Session") || "";
    return keepOnly(key).then(function (name) {  // no key: nobody is logged in any more, nothing stays
      if (!name || response.status !== 200 || response.type !== "basic") { return; }
      var copy = response.clone();
      return caches.open(name).then(function (cache) { return cache.put(request, copy); });
    });
  };
  store.offline = cachedPage;
  return fromNetworkOrCache(request, store);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname === "/lapangan/sw.js") { return; }
  if (url.pathname.indexOf("/lapangan/static/") === 0 || url.pathname.indexOf("/static/") === 0) {
    event.respondWith(staticFile(request));
  } else if (url.pathname.indexOf("/lapangan/") === 0) {
    event.respondWith(page(request));
  }
});
