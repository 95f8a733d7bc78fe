/* Siaga TPS field pages: an offline queue for every form marked data-queue.
   Each form carries a client-made idempotency key; it is posted with fetch. Offline, or when the
   request fails, the submission (URL, fields, key) is kept in localStorage, listed as "Menunggu
   dikirim (N)", and sent again on the `online` event and every 20 s. Any server answer (a replay
   too) takes it off the queue; a 4xx is shown to the user, not retried. Without JS the forms post.

   A queued step shows on its card (forms with the same data-pending: "Menunggu dikirim", then
   "Terkirim"; the card's .status, or the page's .status[data-status-of=<that data-pending>], reads the
   step's data-status-label, on the button or the form) and holds
   the buttons it makes invalid: every step of that object, or with data-rank only those not further
   along. Each submission carries `tapped_at`, the moment it was tapped. The banners follow the real state: "offline" while offline with nothing
   waiting, else the outbox ("Menunggu dikirim", and "saved on the phone" while offline), "Terkirim" for a
   while. A form keeps its key across Back: the page
   reached by Back (or Forward) reuses the key last sent from the same form when its fields are the same,
   so sending again replays the stored answer instead of making a second record. */
(function () {
  "use strict";
  // Fields that do not make two submissions different (the server's fingerprint leaves them out too).
  var NOT_PRINTED = ["csrf_token", "idempotency_key", "tapped_at"];
  var STORE = "siaga-outbox-v1", FAILED = "siaga-outbox-failed-v1", NOTE = "siaga-note", SLOT = "siaga-form-key:";
  var SENT_FOR = 10000;  // how long "Terkirim" stays, ms
  var box = document.getElementById("outbox");
  var text = box ? box.dataset : {};
  var user = text.user || "";
  var flushing = false;
  var sentHere = [];  // entries of this user sent while this page was open: their cards say "Terkirim"
  var navigation = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
  var cameBack = !!navigation && navigation.type === "back_forward";

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "k-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function read(name) {
    try { return JSON.parse(localStorage.getItem(name)) || []; } catch (e) { return []; }
  }
  function write(name, list) { localStorage.setItem(name, JSON.stringify(list)); render(); }
  // When a submission was tapped, on the clock of the login's own area (the page names it: WIB, WITA, WIT).
  function tappedAt(ms) {
    return new Date(ms).toLocaleTimeString("en-GB", {timeZone: text.zone || "Asia/Jakarta", hour: "2-digit",
                                                     minute: "2-digit", hourCycle: "h23"}) + " " + (text.zoneAbbr || "WIB");
  }
  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (content) { node.textContent = content; }
    return node;
  }
  function errorText(data) {
    if (data && data.error) {
      var fields = data.error.fields || {};
      var parts = Object.keys(fields).map(function (k) { return fields[k]; });
      return parts.length ? parts.join(" ") : data.error.message;
    }
    return "";
  }

  function mine(list) { return list.filter(function (e) { return e.user === user; }); }

  /* Each queued (or just sent) step on its card: a line saying so, and its buttons held. */
  function markCards(queue) {
    document.querySelectorAll(".pending-note").forEach(function (n) { n.remove(); });
    document.querySelectorAll(".card.pending").forEach(function (n) { n.classList.remove("pending"); });
    document.querySelectorAll(".status[data-shown]").forEach(function (n) {
      n.textContent = n.dataset.shown; delete n.dataset.shown; n.classList.remove("pending");
    });
    document.querySelectorAll("button[data-held]").forEach(function (b) { b.disabled = false; delete b.dataset.held; });
    var held = queue.map(function (e) { return [e, text.waiting]; })
      .concat(sentHere.map(function (e) { return [e, text.sent]; }));
    held.forEach(function (pair) {
      var entry = pair[0];
      if (!entry.group) { return; }
      var forms = Array.prototype.filter.call(document.querySelectorAll("form[data-pending]"), function (f) {
        return f.dataset.pending === entry.group;
      });
      forms.forEach(function (form) {
        var rank = form.dataset.rank;
        if (entry.rank != null && rank != null && rank !== "" && Number(rank) > Number(entry.rank)) { return; }
        form.querySelectorAll("button").forEach(function (b) {
          if (!b.disabled) { b.disabled = true; b.dataset.held = "1"; }
        });
      });
      var card = forms.length ? (forms[0].closest(".card") || forms[0].parentNode) : null;
      if (!card) { return; }
      var line = el("p", "pending-note" + (pair[1] === text.sent ? " sent" : ""), pair[1] + ": " + entry.label);
      line.setAttribute("role", "status");
      // The card's own status, else one the page marks as this object's (data-status-of: the group).
      var status = card.querySelector(".status") || document.querySelector(".status[data-status-of='" + entry.group + "']");
      // The card's status follows the step at once (queued or just sent: the page itself is older).
      if (status && entry.status) {
        if (status.dataset.shown == null) { status.dataset.shown = status.textContent; }
        status.textContent = entry.status;
        if (pair[1] === text.waiting) { status.classList.add("pending"); }
      }
      var after = status ? status.closest("p") : null;
      // The line goes right after the status line, else before the card's child holding the form (a form
      // may sit inside a wrapper: insertBefore takes a direct child only).
      var anchor = forms[0];
      while (anchor !== card && anchor.parentNode !== card) { anchor = anchor.parentNode; }
      if (anchor === card) { anchor = card.firstChild; }  // the form is the card itself
      if (after && after.parentNode === card) { card.insertBefore(line, after.nextSibling); } else { card.insertBefore(line, anchor); }
      if (pair[1] === text.waiting) { card.classList.add("pending"); }
    });
  }

  /* One banner per state, at the top of the page, gone when the state is over. */
  function banner(id, message, cls) {
    var node = document.getElementById(id);
    if (!message) { if (node) { node.remove(); } return; }
    if (!node) {
      node = el("p", cls, message);
      node.id = id;
      node.setAttribute("role", "status");
      var main = document.querySelector("main");
      main.insertBefore(node, main.firstChild);
    }
    node.textContent = message;
  }

  function render() {
    var queue = mine(read(STORE)), failed = mine(read(FAILED));
    markCards(queue);
    // One box at a time: offline with nothing waiting, the page may be old; with something waiting, the
    // outbox says it all (what waits, and that it goes when the signal returns).
    banner("banner-offline", navigator.onLine || queue.length ? "" : text.stale, "warning");
    if (!queue.length) { banner("banner-login", ""); }
    if (!box) { return; }
    box.textContent = "";
    box.hidden = !queue.length && !failed.length;
    if (queue.length) {
      box.appendChild(el("h2", "", text.waiting + " (" + queue.length + ")" + (navigator.onLine ? "" : " · " + text.offline)));
      if (!navigator.onLine) { box.appendChild(el("p", "", text.saved)); }
      var list = el("ul");
      queue.forEach(function (entry) {
        // Past the rule's age (logistics/rules/tapped.py) the server records it when it arrives: say so.
        var tooOld = Date.now() - entry.at > Number(text.tapMaxAge || Infinity);
        list.appendChild(el("li", "", entry.label + " · " + tappedAt(entry.at) + (tooOld ? " · " + text.tapTooOld : "")));
      });
      box.appendChild(list);
      var again = el("button", "button secondary", text.sendNow);
      again.type = "button";
      again.addEventListener("click", flush);
      box.appendChild(again);
    }
    failed.forEach(function (entry) {
      var p = el("p", "error", text.rejected + ": " + entry.label + " · " + tappedAt(entry.at) + " — " + entry.message);
      var close = el("button", "linkbutton", text.dismiss);
      close.type = "button";
      close.addEventListener("click", function () {
        write(FAILED, read(FAILED).filter(function (e) { return e.key !== entry.key; }));
      });
      p.appendChild(close);
      box.appendChild(p);
    });
  }

  function note(message, cls, lasts) {
    var main = document.querySelector("main");
    var same = Array.prototype.some.call(main.children, function (n) { return n.textContent === message; });
    if (same) { return; }
    var p = el("p", cls || "flash", message);
    p.setAttribute("role", cls === "error" ? "alert" : "status");
    main.insertBefore(p, main.firstChild);
    if (lasts) { window.setTimeout(function () { p.remove(); }, lasts); }
  }

  /* One attempt: resolves to {state: "sent" | "rejected" | "retry", data}. */
  function send(entry) {
    var csrf = document.querySelector("input[name=csrf_token]");
    var fields = entry.fields.map(function (pair) {
      return pair[0] === "csrf_token" && csrf ? [pair[0], csrf.value] : pair;  // the session's current token
    });
    return fetch(entry.url, {
      method: "POST", body: new URLSearchParams(fields), credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) { return {state: "sent", data: data}; }
        var code = data.error && data.error.code;
        // Kept and retried: a twin still running, a lapsed login or form token (kept until the
        // user logs in again: the resend takes the new page's token), timeouts and throttling.
        var later = code === "idempotency_in_progress" || code === "csrf_failed" ||
          [401, 408, 429].indexOf(response.status) >= 0;
        if (later && (response.status === 401 || code === "csrf_failed")) { return {state: "login"}; }
        if (response.status >= 400 && response.status < 500 && !later) {
          return {state: "rejected", data: data, status: response.status};
        }
        return {state: "retry"};
      });
    }, function () { return {state: "retry"}; });
  }

  function flush() {
    if (flushing || !navigator.onLine) { render(); return; }
    var queue = mine(read(STORE));
    if (!queue.length) { render(); return; }
    flushing = true;
    var entry = queue[0];
    send(entry).then(function (result) {
      flushing = false;
      if (result.state === "login") { banner("banner-login", text.login, "error"); render(); return; }
      if (result.state === "retry") { render(); return; }
      if (result.state === "sent") { sentHere.push(entry); }  // its card keeps saying so: the page is older
      write(STORE, read(STORE).filter(function (e) { return e.key !== entry.key; }));
      if (result.state === "sent") {
        note(text.sent + ": " + entry.label + (result.data.message ? " — " + result.data.message : ""), "flash", SENT_FOR);
      } else {
        var failed = read(FAILED);
        failed.push({key: entry.key, user: user, label: entry.label, at: entry.at,
                     message: errorText(result.data) || String(result.status)});
        write(FAILED, failed);
      }
      flush();
    });
  }

  function showErrors(form, data) {
    var fields = (data && data.error && data.error.fields) || {};
    Object.keys(fields).forEach(function (name) {
      var input = form.querySelector("[name='" + name + "']");
      var p = el("p", "field-error", fields[name]);
      if (input && input.type !== "hidden") {
        var anchor = input.closest("fieldset") || input;
        anchor.parentNode.insertBefore(p, anchor.nextSibling);
      } else { form.insertBefore(p, form.firstChild); }
    });
    var message = el("p", "error", (data && data.error && data.error.message) || "");
    message.setAttribute("role", "alert");
    form.insertBefore(message, form.firstChild);
  }

  function formFields(form, submitter) {
    var data;
    try { data = new FormData(form, submitter || undefined); } catch (e) {
      data = new FormData(form);
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    }
    var pairs = [];
    data.forEach(function (value, name) { pairs.push([name, String(value)]); });
    return pairs;
  }

  function renewKey(form) { form.querySelector("input[name=idempotency_key]").value = newKey(); }

  // The key last sent from a form, per page address and form, for this tab (sessionStorage): reached by
  // Back, the page sends again under that key when the fields are the same, and the server replays.
  function slotName(form) {
    var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-queue]"));
    return SLOT + window.location.pathname + window.location.search + "|" + forms.indexOf(form);
  }
  function readSlot(form) {
    try { return JSON.parse(sessionStorage.getItem(slotName(form))); } catch (e) { return null; }
  }
  function fieldsPrint(pairs) {
    return JSON.stringify(pairs.filter(function (p) { return NOT_PRINTED.indexOf(p[0]) < 0; }));
  }
  function prepare(form) {
    var kept = cameBack ? readSlot(form) : null;
    form.querySelector("input[name=idempotency_key]").value = kept && kept.key ? kept.key : newKey();
  }

  // A step that cannot simply be undone asks first (data-confirm: the question; -yes / -no: the
  // buttons; -reason: a prompt for a required reason). Runs before the queue's handler (capture),
  // and puts confirm=1 (and the reason) into the form, so the submission, queued offline too,
  // carries its answer. Without JavaScript the server asks with a page instead (field/web.py).
  function hidden(form, name, value) {
    var input = form.querySelector("input[type=hidden][name=" + name + "]");
    if (!input) { input = el("input"); input.type = "hidden"; input.name = name; form.appendChild(input); }
    input.value = value;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-confirm") || form.dataset.confirmed === "1") {
      delete form.dataset.confirmed;
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    var submitter = event.submitter;
    function go(reasonText) {
      hidden(form, "confirm", "1");
      if (reasonText !== null) { hidden(form, "reason", reasonText); }
      form.dataset.confirmed = "1";
      if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
    }
    if (typeof HTMLDialogElement === "undefined") {  // old browsers: the browser's own boxes ask
      if (!window.confirm(form.dataset.confirm)) { return; }
      var typed = form.dataset.confirmReason ? window.prompt(form.dataset.confirmReason) : null;
      if (form.dataset.confirmReason && !(typed && typed.trim())) { return; }
      go(typed ? typed.trim() : null);
      return;
    }
    var dialog = el("dialog", "confirm");
    dialog.appendChild(el("p", "big", form.dataset.confirm));
    var reason = null;
    if (form.dataset.confirmReason) {
      var label = el("label", "", form.dataset.confirmReason);
      reason = el("input");
      reason.id = "confirm-reason"; label.htmlFor = reason.id; reason.required = true;
      // The limit the page rendered from the view's form schema (siaga.forms.text_limit).
      if (form.dataset.confirmReasonMax) { reason.maxLength = Number(form.dataset.confirmReasonMax); }
      dialog.appendChild(label); dialog.appendChild(reason);
    }
    var yes = el("button", "button danger", form.dataset.confirmYes || "OK");
    var no = el("button", "button secondary", form.dataset.confirmNo || "Batal");
    yes.type = "button"; no.type = "button";
    dialog.appendChild(yes); dialog.appendChild(no);
    document.body.appendChild(dialog);
    function finish() { dialog.close(); dialog.remove(); }
    no.addEventListener("click", finish);
    dialog.addEventListener("cancel", function () { dialog.remove(); });
    yes.addEventListener("click", function () {
      if (reason && !reason.value.trim()) { reason.focus(); reason.reportValidity(); return; }
      finish();
      go(reason ? reason.value.trim() : null);
    });
    dialog.showModal();
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-queue")) { return; }
    event.preventDefault();
    form.querySelectorAll(".field-error, .error").forEach(function (n) { n.remove(); });
    var submitter = event.submitter;
    // The moment it was tapped travels with the submission (queued too): the server records the step
    // then, not when the signal came back (bounded there: logistics/rules/tapped.py).
    hidden(form, "tapped_at", new Date().toISOString());
    var keyInput = form.querySelector("input[name=idempotency_key]");
    var print = fieldsPrint(formFields(form, submitter));
    var kept = readSlot(form);
    if (kept && kept.key === keyInput.value && kept.print !== print) { keyInput.value = newKey(); }  // changed after Back: new
    sessionStorage.setItem(slotName(form), JSON.stringify({key: keyInput.value, print: print}));
    var label = form.dataset.label || document.title;
    var step = submitter && submitter.textContent.trim();
    if (step && submitter.name) { label += " · " + step; }  // which of the form's steps (Diterima, Kurang...)
    var entry = {key: keyInput.value,
                 url: form.getAttribute("action") || window.location.pathname,  // form.action is clobbered by a control named "action"
                 fields: formFields(form, submitter), label: label, at: Date.now(), user: user,
                 group: form.dataset.pending || null, rank: form.dataset.rank || null,
                 status: (submitter && submitter.dataset.statusLabel) || form.dataset.statusLabel || null};
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    function enqueue() {
      var queue = read(STORE);
      queue.push(entry);
      write(STORE, queue);
      renewKey(form);  // the next submission from this form is a new one
      if (form.hasAttribute("data-reset")) { form.reset(); }
      buttons.forEach(function (b) { b.disabled = false; });
      render();  // the card says "Menunggu dikirim" and holds the steps this one makes invalid
      window.scrollTo(0, 0);
    }
    if (!navigator.onLine) { enqueue(); return; }
    send(entry).then(function (result) {
      if (result.state === "sent") {
        sessionStorage.setItem(NOTE, result.data.message || text.sent);
        window.location.assign(result.data.redirect || window.location.href);
      } else if (result.state === "login") {
        enqueue();
        banner("banner-login", text.login, "error");
      } else if (result.state === "rejected") {
        renewKey(form);  // the server keeps its answer under the old key; a corrected form is a new submission
        buttons.forEach(function (b) { b.disabled = false; });
        showErrors(form, result.data);
      } else { enqueue(); }
    });
  });

  document.querySelectorAll("form[data-queue]").forEach(prepare);
  var pending = sessionStorage.getItem(NOTE);
  if (pending) { sessionStorage.removeItem(NOTE); note(pending); }
  if ("serviceWorker" in navigator && window.isSecureContext) {
    // Which login the cached pages belong to, and dropping them on logout: siaga/static/js/session.js.
    navigator.serviceWorker.register(text.sw, {scope: "/lapangan/"}).catch(function () {});
    // The role's landing page (data-manifest): have every page the role needs copied for offline use.
    if (text.manifest) {
      window.addEventListener("load", function () {
        if (!navigator.onLine) { return; }
        navigator.serviceWorker.ready.then(function (registration) {
          if (registration.active) {
            registration.active.postMessage({type: "precache", manifest: text.manifest,
                                             key: document.body.dataset.session || ""});
          }
        });
      });
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "precached") { document.documentElement.dataset.precached = event.data.pages; }
      });
    }
  }
  // Back to a page kept whole in memory (bfcache): what was in flight when it was left is over.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-queue] button").forEach(function (b) { if (!b.dataset.held) { b.disabled = false; } });
    render();
  });
  // A live page swapped fresh cards in (siaga/static/js/live.js): new forms get their keys, and the steps
  // waiting in the queue are marked on the new cards again.
  document.addEventListener("siaga:live", function () {
    document.querySelectorAll("form[data-queue]").forEach(function (form) {
      var key = form.querySelector("input[name=idempotency_key]");
      if (key && !key.value) { key.value = newKey(); }
    });
    render();
  });
  window.addEventListener("online", flush);
  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  window.setInterval(flush, 20000);
  window.siagaOutbox = {flush: flush, pending: function () { return read(STORE).length; }};
  flush();
})();
