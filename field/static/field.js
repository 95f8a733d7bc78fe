/* Siaga TPS field pages: an offline queue for every form marked data-queue.
   Each form carries a client-made idempotency key; it is posted with fetch. Offline, or when the
   request fails, the submission (URL, fields, key) is kept in localStorage, listed as "Menunggu
   dikirim (N)", and sent again on the `online` event and every 20 s. Any server answer (a replay
   too) takes it off the queue; a 4xx is shown to the user, not retried. Without JS the forms post. */
(function () {
  "use strict";
  var STORE = "siaga-outbox-v1", FAILED = "siaga-outbox-failed-v1", NOTE = "siaga-note";
  var box = document.getElementById("outbox");
  var text = box ? box.dataset : {};
  var user = text.user || "";
  var flushing = false;

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "k-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function read(name) {
    try { return JSON.parse(localStorage.getItem(name)) || []; } catch (e) { return []; }
  }
  function write(name, list) { localStorage.setItem(name, JSON.stringify(list)); render(); }
  function wib(ms) {
    return new Date(ms).toLocaleTimeString("en-GB", {timeZone: "Asia/Jakarta", hour: "2-digit", minute: "2-digit", hour12: false}) + " WIB";
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

  function render() {
    if (!box) { return; }
    var queue = mine(read(STORE)), failed = mine(read(FAILED));
    box.textContent = "";
    box.hidden = !queue.length && !failed.length;
    if (queue.length) {
      box.appendChild(el("h2", "", text.waiting + " (" + queue.length + ")" + (navigator.onLine ? "" : " · " + text.offline)));
      var list = el("ul");
      queue.forEach(function (entry) { list.appendChild(el("li", "", entry.label + " · " + wib(entry.at))); });
      box.appendChild(list);
      var again = el("button", "button secondary", text.sendNow);
      again.type = "button";
      again.addEventListener("click", flush);
      box.appendChild(again);
    }
    failed.forEach(function (entry) {
      var p = el("p", "error", text.rejected + ": " + entry.label + " · " + wib(entry.at) + " — " + entry.message);
      var close = el("button", "linkbutton", text.dismiss);
      close.type = "button";
      close.addEventListener("click", function () {
        write(FAILED, read(FAILED).filter(function (e) { return e.key !== entry.key; }));
      });
      p.appendChild(close);
      box.appendChild(p);
    });
  }

  function note(message, cls) {
    var main = document.querySelector("main");
    var same = Array.prototype.some.call(main.children, function (n) { return n.textContent === message; });
    if (same) { return; }
    var p = el("p", cls || "flash", message);
    p.setAttribute("role", cls === "error" ? "alert" : "status");
    main.insertBefore(p, main.firstChild);
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
      if (result.state === "login") { note(text.login, "error"); render(); return; }
      if (result.state === "retry") { render(); return; }
      write(STORE, read(STORE).filter(function (e) { return e.key !== entry.key; }));
      if (result.state === "sent") {
        note(text.sent + ": " + entry.label + (result.data.message ? " — " + result.data.message : ""));
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
      reason.id = "confirm-reason"; label.htmlFor = reason.id; reason.maxLength = 240; reason.required = true;
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
    var entry = {key: form.querySelector("input[name=idempotency_key]").value,
                 url: form.getAttribute("action") || window.location.pathname,  // form.action is clobbered by a control named "action"
                 fields: formFields(form, event.submitter), label: form.dataset.label || document.title, at: Date.now(),
                 user: user};
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    function enqueue() {
      var queue = read(STORE);
      queue.push(entry);
      write(STORE, queue);
      renewKey(form);  // the next submission from this form is a new one
      if (form.hasAttribute("data-reset")) { form.reset(); }
      buttons.forEach(function (b) { b.disabled = false; });
      note(text.saved, "warning");
      window.scrollTo(0, 0);
    }
    if (!navigator.onLine) { enqueue(); return; }
    send(entry).then(function (result) {
      if (result.state === "sent") {
        sessionStorage.setItem(NOTE, result.data.message || text.sent);
        window.location.assign(result.data.redirect || window.location.href);
      } else if (result.state === "login") {
        enqueue();
        note(text.login, "error");
      } else if (result.state === "rejected") {
        renewKey(form);  // the server keeps its answer under the old key; a corrected form is a new submission
        buttons.forEach(function (b) { b.disabled = false; });
        showErrors(form, result.data);
      } else { enqueue(); }
    });
  });

  document.querySelectorAll("form[data-queue]").forEach(renewKey);
  var pending = sessionStorage.getItem(NOTE);
  if (pending) { sessionStorage.removeItem(NOTE); note(pending); }
  if ("serviceWorker" in navigator && window.isSecureContext) {
    // Which login the cached pages belong to, and dropping them on logout: siaga/static/js/session.js.
    navigator.serviceWorker.register(text.sw, {scope: "/lapangan/"}).catch(function () {});
  }
  if (!navigator.onLine) { note(text.stale, "warning"); }
  window.addEventListener("offline", function () { note(text.stale, "warning"); });
  window.addEventListener("online", flush);
  window.addEventListener("offline", render);
  window.setInterval(flush, 20000);
  window.siagaOutbox = {flush: flush, pending: function () { return read(STORE).length; }};
  flush();
})();
