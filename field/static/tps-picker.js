/* The incident form's place picker: typing in the TPS search refills the TPS select from
 * /lapangan/tps/cari (the caller's read scope) without leaving the page. Without JavaScript the
 * search is a plain GET of the page, which renders the same select server-side. */
(function () {
  "use strict";
  var input = document.getElementById("cari-tps");
  var select = document.getElementById("tps_id");
  var status = document.getElementById("tps-search-status");
  if (!input || !select) { return; }
  var timer = null, seq = 0;

  function fill(items) {
    var chosen = select.value;
    while (select.options.length > 1) { select.remove(1); }
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = String(item.id);
      option.textContent = item.label;  // text only: names come from the database
      option.selected = String(item.id) === chosen || items.length === 1;
      select.appendChild(option);
    });
    status.textContent = items.length ? select.getAttribute("data-found").replace("{n}", items.length)
                                      : select.getAttribute("data-none");
  }

  function search() {
    var mine = ++seq;
    fetch(input.getAttribute("data-url") + "?q=" + encodeURIComponent(input.value.trim()),
          {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (body) { if (mine === seq) { fill(body.items); } })
      .catch(function () { /* offline: the select keeps what it had; the search button still works later */ });
  }

  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 250); });
  document.getElementById("tps-search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    search();
  });
})();
