/* "Aktifkan notifikasi" (siaga/templates/_push_toggle.html): asks the browser's permission, subscribes its
   PushManager with the server's VAPID key and posts the subscription (siaga/push.py); "Matikan" undoes it.
   The subscription lives in the field pages' service worker (field/static/sw.js, scope /lapangan/), which
   shows the notifications and forgets the subscription when the login ends. A browser already subscribed
   posts it again once per login (a password change on this phone deleted it on the server) and when its
   endpoint changed.

   While this browser holds a subscription the server knows (posted in this login), the page says so,
   <body data-push-subscribed="1">, and tells live.js ("siaga:push" on the document): a push for this
   person makes the page check at once (field/static/sw.js), so its own checks can be rarer. A field page
   also says which subscriptions the server holds for this login (<body data-push-known>: digests of their
   endpoints, siaga/push.py `push_known`), on load and with every full answer (live.js, "siaga:push-known"):
   when this browser's is not among them (the push service answered 404/410 and the worker dropped it; the
   browser does not know) the page checks every 5 s again and subscribes anew: a fresh subscription, since the
   push service no longer takes the old one, posted to the server. */
(function () {
  "use strict";
  var box = document.getElementById("push-toggle");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window) || !window.isSecureContext) { return; }
  var text = box.dataset, button = box.querySelector("button"), state = box.querySelector(".push-state");
  var login = document.body.dataset.session || "", REGISTERED = "siaga-push-login";

  function csrf() { var input = document.querySelector("input[name=csrf_token]"); return input ? input.value : ""; }
  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin", body: JSON.stringify(body),
                       headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf()}})
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response; });
  }
  function known(yes) {  // the server holds this browser's subscription (or no longer does)
    var was = document.body.dataset.pushSubscribed === "1";
    document.body.dataset.pushSubscribed = yes ? "1" : "";
    if (was !== !!yes) { document.dispatchEvent(new CustomEvent("siaga:push", {detail: {subscribed: !!yes}})); }
  }
  function applicationServerKey(base64url) {
    var raw = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  function show(subscribed, message) {
    box.hidden = false;
    box.dataset.subscribed = subscribed ? "1" : "";
    button.textContent = subscribed ? text.disable : text.enable;
    button.disabled = Notification.permission === "denied";
    state.textContent = message || (subscribed ? text.on : (Notification.permission === "denied" ? text.denied : ""));
  }
  function registration() {
    return navigator.serviceWorker.register(text.sw, {scope: "/lapangan/"}).then(function () {
      return navigator.serviceWorker.getRegistration("/lapangan/");
    });
  }
  function register(subscription) {
    var json = subscription.toJSON();
    return post(text.subscribe, json).then(function () {
      localStorage.setItem(REGISTERED, login + " " + subscription.endpoint);
      known(true);
      // The service worker keeps it, to prove it when the push service renews it (pushsubscriptionchange).
      return registration().then(function (reg) {
        if (reg && reg.active) { reg.active.postMessage({type: "push-subscription", endpoint: json.endpoint, auth: json.keys.auth}); }
      });
    });
  }
  function subscribeAnew() {
    return Promise.all([registration(), fetch(text.key, {credentials: "same-origin"}).then(function (r) { return r.json(); })])
      .then(function (both) {
        return both[0].pushManager.subscribe({userVisibleOnly: true,
                                              applicationServerKey: applicationServerKey(both[1].public_key)});
      }).then(register);
  }
  function enable() {
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { show(false); return; }
      return subscribeAnew().then(function () { show(true); });
    });
  }
  function mark(endpoint) {  // as siaga/push.py `endpoint_mark`: the first 16 hex digits of its SHA-256
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(endpoint)).then(function (digest) {
      return Array.from(new Uint8Array(digest).slice(0, 8), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    });
  }
  // Whether the server still holds `subscription` (null: the page does not say: not a field page).
  function serverHolds(subscription) {
    var said = document.body.getAttribute("data-push-known");
    if (said === null) { return Promise.resolve(null); }
    return mark(subscription.endpoint).then(function (m) { return said.split(" ").indexOf(m) >= 0; });
  }
  var renewing = false;
  function renew(subscription) {  // the server dropped it: a new subscription in its place (one at a time)
    if (renewing || !navigator.onLine) { return; }
    renewing = true;
    return subscription.unsubscribe().then(subscribeAnew).then(function () { show(true); }, function () {
      show(false, text.failed);
    }).then(function () { renewing = false; });
  }
  // Renews `subscription` when the server no longer holds it; resolves to whether it holds it (false: renewed).
  function renewIfDropped(subscription) {
    return serverHolds(subscription).then(function (holds) {
      if (holds !== false) { return holds; }
      known(false);
      return Promise.resolve(renew(subscription)).then(function () { return false; });
    });
  }
  function disable() {
    return registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (subscription) {
      if (!subscription) { return; }
      return post(text.unsubscribe, {endpoint: subscription.endpoint}).then(function () { return subscription.unsubscribe(); });
    }).then(function () { localStorage.removeItem(REGISTERED); known(false); show(false); });
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    (box.dataset.subscribed ? disable() : enable()).catch(function () { show(!!box.dataset.subscribed, text.failed); });
  });
  function current() {
    return registration().then(function (reg) { return reg && reg.pushManager.getSubscription(); });
  }
  current().then(function (subscription) {
    if (!subscription || Notification.permission !== "granted") { show(false); return; }
    show(true);
    return renewIfDropped(subscription).then(function (holds) {
      if (holds === false) { return; }
      // Posted again once per login, and when the browser changed the subscription (pushsubscriptionchange).
      if (localStorage.getItem(REGISTERED) === login + " " + subscription.endpoint) { known(true); return; }
      if (navigator.onLine) { return register(subscription); }
    });
  }).catch(function () { known(false); show(false); });
  // A full answer of the page (live.js): does the server still hold this browser's subscription?
  document.addEventListener("siaga:push-known", function () {
    if (renewing || box.dataset.subscribed !== "1") { return; }
    current().then(function (subscription) {
      if (subscription) { return renewIfDropped(subscription); }
    }).catch(function () { /* asked again with the next full answer */ });
  });
})();
