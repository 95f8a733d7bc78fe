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
   CSS and JS, the same for everyone, are kept apart in STATIC.

   At login and on each load of the role's landing page (online), field.js sends {type: "precache",
   manifest: URL}: the worker reads the role's page list (field/offline.py) and fetches every page into the
   login's cache, and the CSS/JS each page loads into STATIC, so the incident form opens offline even if
   it was never opened before. */
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
    return name ? caches.open(name).then(function (cache) { return cache.match(request, {ignoreVary: true}); }) : undefined;
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
  if (data.type === "session") {
    if (data.key !== precaching) { precaching = null; }  // a copy going on for another login stops
    event.waitUntil(Promise.all([keepOnly(data.key || ""), data.key ? null : endPush()]));
  }
  if (data.type === "push-subscription" && data.endpoint && data.auth) {  // registered by push.js
    event.waitUntil(rememberPush({endpoint: data.endpoint, auth: data.auth}));
  }
  if (data.type === "precache" && data.manifest) {
    precaching = data.key;
    event.waitUntil(precache(data.manifest, data.key).then(function (count) {
      return self.clients.matchAll().then(function (clients) {
        clients.forEach(function (client) { client.postMessage({type: "precached", pages: count}); });
      });
    }));
  }
});

/* A response as it can be served for a navigation: a redirect that was followed (/lapangan/tps to the
   officer's TPS) becomes a plain copy of where it led, which a navigation may use. */
function servable(response) {
  if (!response.redirected) { return Promise.resolve(response); }
  return response.blob().then(function (body) {
    return new Response(body, {status: response.status, statusText: response.statusText, headers: response.headers});
  });
}

var ASSET = /(?:src|href)="(\/[^"?#]+\.(?:css|js))"/g;
var precaching = null;  // the login whose pages are being copied

/* Fetch every page of the manifest into the login's cache, one at a time (a slow line is shared with
   the officer's own taps), and the CSS/JS they load that STATIC does not hold yet; resolves to the number
   of pages kept. It stops when the login ends (a page without the session header, a logout or another
   login's message): a page asked for after that would only be a redirect to the login page. */
function precache(manifest, key) {
  var kept = 0;
  return fetch(manifest, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (response) {
    if (!response.ok) { return; }
    return response.json().then(function (data) {
      var assets = {};
      return (data.pages || []).reduce(function (done, url) {
        return done.then(function () {
          if (precaching !== key) { return; }
          return fetch(url, {credentials: "same-origin"}).then(function (response) {
            if (response.headers.get("X-Siaga-Session") !== key) { precaching = null; return; }
            if (!response.ok) { return; }
            kept += 1;
            return servable(response).then(function (copy) {
              return copy.clone().text().then(function (html) {
                var match;
                while ((match = ASSET.exec(html)) !== null) { assets[match[1]] = true; }
                return keepPage(new Request(url), copy);
              });
            });
          }).catch(function () {});
        });
      }, Promise.resolve()).then(function () {
        return caches.open(STATIC).then(function (cache) {
          return Promise.all(Object.keys(assets).map(function (url) {
            return cache.match(url).then(function (hit) { return hit || cache.add(url).catch(function () {}); });
          }));
        });
      });
    });
  }).catch(function () {}).then(function () { return kept; });
}

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

/* Keep a page in its login's cache (and drop other logins' caches); no key: nobody is logged in any
   more, nothing stays. */
function keepPage(request, response) {
  var key = response.headers.get("X-Siaga-Session") || "";
  return keepOnly(key).then(function (name) {
    if (!name || response.status !== 200 || (response.type !== "basic" && response.type !== "default")) { return; }
    var copy = response.clone();
    return caches.open(name).then(function (cache) { return cache.put(request, copy); });
  });
}

function page(request) {
  var store = function (response) {
    if (response.type === "opaqueredirect") { return Promise.resolve(); }  // its headers are hidden
    return keepPage(request, response);
  };
  store.offline = cachedPage;
  return fromNetworkOrCache(request, store);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname === "/lapangan/sw.js") { return; }
  // A live page's check (If-None-Match, siaga/static/js/live.js) wants the server's answer or none: a
  // stored copy would put an older page over the one shown.
  if (request.headers.has("If-None-Match")) { return; }
  if (url.pathname.indexOf("/lapangan/static/") === 0 || url.pathname.indexOf("/static/") === 0) {
    event.respondWith(staticFile(request));
  } else if (url.pathname.indexOf("/lapangan/") === 0) {
    event.respondWith(page(request));
  }
});

/* Web Push (siaga/worker/webpush.py, siaga/static/js/push.js). The payload says what happened and what to
   open, never a name. Its tag is the event's id: an event pushed twice (the worker killed between sending
   and recording it) replaces its own notification quietly instead of showing a second one.
   Every open window of the app is told too ({type: "push", kind, url}): its live page checks at once
   (siaga/static/js/live.js), which is what lets a subscribed phone's pages check themselves less often. */
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  var tag = data.tag || "siaga";
  var shown = self.registration.getNotifications({tag: tag}).then(function (shown) {
    var options = {body: data.body || "", tag: tag, renotify: false, data: {url: data.url || "/"},
                   requireInteraction: /merah/i.test(data.title || "")};
    if (shown.length) { options.silent = true; }  // already on screen: no second sound
    return self.registration.showNotification(data.title || "Siaga TPS", options);
  });
  var told = self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (windows) {
    windows.forEach(function (w) { w.postMessage({type: "push", kind: data.kind || "", url: data.url || ""}); });
  });
  event.waitUntil(Promise.all([shown, told]));
});

/* Open what the notification is about: an open tab of this app showing it is focused, else a new one. */
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var wanted = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  var url = wanted.origin === self.location.origin ? wanted.href : self.location.origin + "/";
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (windows) {
    var open = windows.filter(function (w) { return w.url === url && "focus" in w; })[0];
    return open ? open.focus() : self.clients.openWindow(url);
  }));
});

/* The login ended (logout, or a page of nobody's): this browser stops receiving its pushes. The server has
   deleted the subscription already (logistics/services/push_subscriptions.py); this forgets it here too. */
function endPush() {
  if (!self.registration.pushManager) { return Promise.resolve(); }
  return self.registration.pushManager.getSubscription().then(function (subscription) {
    return caches.delete(PUSH).then(function () { return subscription && subscription.unsubscribe(); });
  }).then(function () {}, function () {});
}

/* The push service renewed this browser's subscription (expired, keys rotated): subscribe again if the
   browser did not, and have the server replace the old endpoint by the new one for the same login
   (POST /notifikasi/ganti, siaga/push.py). A worker has no page and so no CSRF token: the old
   subscription's auth secret, known only to this browser and the server, proves the request. The old one
   comes with the event, or else is the one push.js registered last (kept in the PUSH cache). If this
   fails, push.js posts the subscription again on the next page load. */
var PUSH = "siaga-push", PUSH_RECORD = "/lapangan/__push-subscription__";
function rememberPush(record) {
  return caches.open(PUSH).then(function (cache) { return cache.put(PUSH_RECORD, new Response(JSON.stringify(record))); });
}
function rememberedPush() {
  return caches.open(PUSH).then(function (cache) { return cache.match(PUSH_RECORD); })
    .then(function (response) { return response ? response.json() : null; });
}
function base64url(buffer) {
  return btoa(String.fromCharCode.apply(null, new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function serverKey(old) {
  if (old && old.options && old.options.applicationServerKey) { return Promise.resolve(old.options.applicationServerKey); }
  return fetch("/notifikasi/kunci", {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (key) {
    var raw = atob(key.public_key.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((key.public_key.length + 3) % 4));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  });
}
function renewPush(old, fresh) {
  var before = old ? Promise.resolve({endpoint: old.endpoint, auth: base64url(old.getKey("auth"))}) : rememberedPush();
  return before.then(function (was) {
    if (!was) { return; }
    var next = fresh ? Promise.resolve(fresh) : serverKey(old).then(function (key) {
      return self.registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: key});
    });
    return next.then(function (subscription) {
      var body = subscription.toJSON();
      body.old_endpoint = was.endpoint;
      body.old_auth = was.auth;
      return fetch("/notifikasi/ganti", {method: "POST", credentials: "same-origin", body: JSON.stringify(body),
                                         headers: {"Content-Type": "application/json", "Accept": "application/json"}})
        .then(function (response) {
          if (response.ok) { return rememberPush({endpoint: body.endpoint, auth: body.keys.auth}); }
        });
    });
  }).catch(function () {});
}
self.addEventListener("pushsubscriptionchange", function (event) {
  event.waitUntil(renewPush(event.oldSubscription, event.newSubscription));
});
