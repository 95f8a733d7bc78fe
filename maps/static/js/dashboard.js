/* The dashboard refreshes itself: its body is fetched again and swapped in, without a reload. */
(function () {
  "use strict";
  var body = document.getElementById("dashboard-body");
  if (!body) { return; }
  var every = parseInt(body.getAttribute("data-refresh-ms"), 10) || 30000;
  var refreshes = 0;
  function refresh() {
    if (document.hidden) { return; }
    var url = new URL(window.location.href);
    url.searchParams.set("partial", "1");
    fetch(url.toString(), {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    }).then(function (html) {
      // The fragment is our own server-rendered, autoescaped template.
      var doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
      body.replaceChildren.apply(body, Array.prototype.slice.call(doc.body.firstChild.childNodes));
      refreshes += 1;
      body.setAttribute("data-refreshes", String(refreshes));
    }).catch(function () { /* keep the last figures; try again next time */ });
  }
  setInterval(refresh, every);
})();
