/* Tells the field pages' service worker (field/static/sw.js) which login this page belongs to, on every
   page load and when logging out, so it keeps cached field pages only for the current login: a page
   from a logged-out or expired session (key "") makes it delete every cached field page. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !window.isSecureContext) { return; }
  function tell(key) {
    return navigator.serviceWorker.getRegistration("/lapangan/").then(function (registration) {
      var worker = registration && (registration.active || registration.waiting || registration.installing);
      if (worker) { worker.postMessage({type: "session", key: key}); }
    }).catch(function () {});
  }
  tell(document.body.dataset.session || "");
  document.addEventListener("submit", function (event) {
    if (/\/logout$/.test(event.target.getAttribute("action") || "")) { tell(""); }
  });
})();
