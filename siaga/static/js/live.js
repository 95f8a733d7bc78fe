/* Siaga TPS live pages: a page that stays current without a reload, for the field pages and the
   coordinators' pages alike (one mechanism; the server side is siaga/live.py).

   A live page carries its ETag (<body data-live-etag>) and marks what may change with data-live="name".
   Every POLL_MS while the tab is visible (backing off while hidden, offline or failing) it asks its own
   address with If-None-Match: unchanged is a 304 with no body (well under 1 KB a check); changed is the
   fresh page, and only its data-live regions are swapped in, keeping the user's place: open <details>,
   what was typed in a field and which field has the focus (with the caret), the scroll position. A
   region holding an open <dialog> waits until it is closed. After a swap the document gets a
   "siaga:live" event (field.js marks queued steps on the new cards again and gives new forms their
   keys; the station page sounds its alarm).

   On a phone that takes Web Push, a push for this person makes every check run at once: the field service
   worker tells each open window of the app that a push arrived ({type: "push", kind, url}: field/static/
   sw.js). While this browser holds a push subscription the server knows (push.js marks <body
   data-push-subscribed="1">), a page stating a longer interval (<body data-live-pushed-s>: the field pages,
   LIVE_POLL_PUSHED_S in siaga/config.py, 30 s) checks that often instead of every POLL_MS: a change that is
   pushed to this person comes with its push, one that is not (logistics/queries/audience.py: a delivery
   dispatched, an incident treated on site) within that interval. Hidden tabs keep HIDDEN_MS. Every full
   answer says which subscriptions the server still holds (<body data-push-known>, copied over): one the
   push service declared gone is dropped by the worker, and push.js then subscribes this browser again.

   Other checks (the map's layers, each with its own ETag) use the same clock: siagaLive.every(check),
   where check() returns a promise. */
(function () {
  "use strict";
  var POLL_MS = 5000, HIDDEN_MS = 60000, MAX_MS = 60000;
  var checks = [];
  var PUSHED_MS = Number(document.body.getAttribute("data-live-pushed-s") || 0) * 1000;
  var timer = null, failures = 0, running = false, again = false, checked = 0;

  function every() {
    return PUSHED_MS && document.body.getAttribute("data-push-subscribed") === "1" ? PUSHED_MS : POLL_MS;
  }
  function delay() {
    if (document.hidden) { return HIDDEN_MS; }
    return Math.max(every(), Math.min(MAX_MS, POLL_MS * Math.pow(2, failures)));
  }
  function schedule(ms) {
    clearTimeout(timer);
    var wait = ms === undefined ? delay() : ms;
    document.body.setAttribute("data-live-every", String(wait));  // read by the end-to-end tests too
    timer = setTimeout(tick, wait);
  }
  function tick() {
    if (running || !navigator.onLine) { schedule(); return; }
    running = true;
    Promise.all(checks.map(function (check) {
      return Promise.resolve().then(check).then(function () { return true; }, function () { return false; });
    })).then(function (results) {
      running = false;
      failures = results.every(Boolean) ? 0 : Math.min(failures + 1, 4);
      schedule(again ? 0 : undefined);
      again = false;
    });
  }
  // At once, and once more after a check under way (it may have been answered before the change).
  function checkNow() {
    if (running) { again = true; } else { schedule(0); }
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { schedule(0); } });
  window.addEventListener("online", function () { schedule(0); });
  document.addEventListener("siaga:push", function () { if (!running) { schedule(); } });  // push.js: the interval changed
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "push") { checkNow(); }
    });
    navigator.serviceWorker.startMessages();  // not only after the document is parsed
  }

  /* --- the page's own regions --- */

  // What identifies a control across two renderings of a page: its id, else its form's address and name.
  function keyOf(node) {
    if (node.id) { return "#" + node.id; }
    var form = node.form || node.closest("form");
    var name = node.getAttribute("name");
    return name ? (form ? form.getAttribute("action") || "" : "") + "|" + name : null;
  }
  function find(root, key) {
    var found = null;
    root.querySelectorAll("input, textarea, select, details, dialog").forEach(function (node) {
      if (!found && keyOf(node) === key) { found = node; }
    });
    return found;
  }
  function typed(node) {
    if (node.type === "hidden" || node.type === "submit" || node.type === "button") { return false; }
    if (node.tagName === "SELECT") {
      return Array.prototype.some.call(node.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    if (node.type === "checkbox" || node.type === "radio") { return node.checked !== node.defaultChecked; }
    return node.value !== node.defaultValue;
  }
  function carry(old, fresh) {
    old.querySelectorAll("details[open]").forEach(function (d) {
      var twin = keyOf(d) && find(fresh, keyOf(d));
      if (twin) { twin.open = true; }
    });
    old.querySelectorAll("input, textarea, select").forEach(function (field) {
      if (!typed(field)) { return; }
      var twin = keyOf(field) && find(fresh, keyOf(field));
      if (!twin) { return; }
      if (field.tagName === "SELECT") { twin.value = field.value; }
      else if (field.type === "checkbox" || field.type === "radio") { twin.checked = field.checked; }
      else { twin.value = field.value; }
    });
  }

  function swap(html, tag) {
    var doc = new DOMParser().parseFromString(html, "text/html");  // our own autoescaped template
    var focused = document.activeElement, focusKey = null, caret = null;
    if (focused && focused !== document.body && focused.closest("[data-live]")) {
      focusKey = keyOf(focused);
      try { caret = [focused.selectionStart, focused.selectionEnd]; } catch (e) { caret = null; }
    }
    var x = window.scrollX, y = window.scrollY, swapped = [], waiting = false;
    doc.querySelectorAll("[data-live]").forEach(function (fresh) {
      var name = fresh.getAttribute("data-live");
      var old = document.querySelector("[data-live=\"" + name + "\"]");
      if (!old) { return; }
      if (old.querySelector("dialog[open]")) { waiting = true; return; }  // the user is answering it
      var node = document.importNode(fresh, true);
      carry(old, node);
      old.replaceWith(node);
      swapped.push(name);
    });
    if (focusKey) {
      var again = null;
      document.querySelectorAll("[data-live]").forEach(function (region) { again = again || find(region, focusKey); });
      if (again && again !== focused) {
        again.focus({preventScroll: true});
        if (caret && caret[0] !== null) { try { again.setSelectionRange(caret[0], caret[1]); } catch (e) { /* not text */ } }
      }
    }
    window.scrollTo(x, y);
    if (!waiting) { document.body.setAttribute("data-live-etag", tag); }
    // The subscriptions the server holds for this login (a field page's, siaga/push.py `push_known`): push.js
    // subscribes again when this browser's is no longer one of them.
    var pushKnown = doc.body.getAttribute("data-push-known");
    if (pushKnown !== null) {
      document.body.setAttribute("data-push-known", pushKnown);
      document.dispatchEvent(new CustomEvent("siaga:push-known"));
    }
    var count = Number(document.body.getAttribute("data-live-swaps") || 0) + 1;
    document.body.setAttribute("data-live-swaps", String(count));  // read by the end-to-end tests too
    document.dispatchEvent(new CustomEvent("siaga:live", {detail: {regions: swapped}}));
  }

  function checkPage() {
    var tag = document.body.getAttribute("data-live-etag");
    // Every byte of a check counts on a phone's plan: the browser's cache is bypassed by the condition
    // itself (no Cache-Control/Pragma added), and no Referer is sent (the address is the URL itself).
    return fetch(window.location.href, {
      credentials: "same-origin", referrerPolicy: "no-referrer", headers: {"If-None-Match": "\"" + tag + "\""}
    }).then(function (r) {
      checked += 1;
      document.body.setAttribute("data-live-checks", String(checked));  // read by the end-to-end tests too
      if (r.status === 304) { return; }
      // Logged out meanwhile (sent to the login page) or refused: keep what is shown.
      if (!r.ok || r.redirected) { throw new Error("HTTP " + r.status); }
      var fresh = (r.headers.get("ETag") || "").replace(/^W\//, "").replace(/"/g, "");
      return r.text().then(function (html) { if (fresh && fresh !== tag) { swap(html, fresh); } });
    });
  }

  window.siagaLive = {
    every: function (check) { checks.push(check); schedule(); },
    now: checkNow
  };
  if (document.body.getAttribute("data-live-etag")) { window.siagaLive.every(checkPage); }
})();
