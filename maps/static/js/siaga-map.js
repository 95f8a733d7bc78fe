/* Siaga TPS live map: fills the Folium page's empty overlay layers from the GeoJSON endpoints,
 * per viewport (debounced on moveend) and again every few seconds (ETag: an unchanged poll is a 304).
 * User-typed text only ever goes into the page through textContent, never innerHTML. */
(function () {
  "use strict";
  var S = window.SIAGA_MAP;
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var T = cfg.texts;
  var map = S.map;
  var colorMode = "status";
  var etags = {};
  var STATUS_COLORS = {setup: "#9e9e9e", open: "#1e88e5", voting_closed: "#fb8c00", counted: "#8e24aa",
                       handed_over: "#2e7d32"};
  var MEAL_COLORS = {late: "#d32f2f", short: "#f9a825", arrived: "#2e7d32", pending: "#9e9e9e"};
  var TRIAGE_COLORS = {merah: "#d50000", kuning: "#ffd600", hijau: "#00c853", hitam: "#212121"};

  var cluster = L.markerClusterGroup({chunkedLoading: true, disableClusteringAtZoom: 16, maxClusterRadius: 50});
  var cells = L.layerGroup();
  S.layers.tps.addLayer(cluster).addLayer(cells);
  S.tps = {};  // id -> latest properties (read by the end-to-end tests too)
  S.loads = 0;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function popup(title, rows, link) {
    var box = el("div", "map-popup");
    box.appendChild(el("strong", null, title));
    var list = el("dl");
    rows.forEach(function (row) {
      if (row[1] === undefined || row[1] === null || row[1] === "") { return; }
      list.appendChild(el("dt", null, row[0]));
      list.appendChild(el("dd", row[2] || null, row[1]));
    });
    box.appendChild(list);
    if (link && link.charAt(0) === "/" && link.charAt(1) !== "/") {
      var a = el("a", null, T.open);
      a.href = link;
      box.appendChild(a);
    }
    return box;
  }

  function setStatus(text, failed) {
    var node = document.getElementById("map-status");
    node.textContent = text;
    node.classList.toggle("failed", !!failed);
  }

  function bboxParam() {
    var b = map.getBounds().pad(0.1);
    var clamp = function (v, lo, hi) { return Math.max(lo, Math.min(hi, v)); };
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180),
            clamp(b.getNorth(), -90, 90)].map(function (v) { return v.toFixed(5); }).join(",");
  }

  /* GET with our own ETag; resolves to the parsed body, or null when unchanged (304). */
  function getJSON(key, url) {
    var headers = {"Accept": "application/json"};
    var known = etags[key];
    if (known && known.url === url) { headers["If-None-Match"] = known.tag; }
    return fetch(url, {headers: headers, cache: "no-store", credentials: "same-origin"}).then(function (r) {
      if (r.status === 304) { return null; }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      etags[key] = {url: url, tag: r.headers.get("ETag")};
      return r.json();
    });
  }

  function tpsColor(p) {
    return colorMode === "meals" ? (MEAL_COLORS[p.meal] || "#9e9e9e") : (STATUS_COLORS[p.status] || "#9e9e9e");
  }

  function drawTps(data) {
    cluster.clearLayers();
    cells.clearLayers();
    S.tps = {};
    var markers = [];
    data.features.forEach(function (f) {
      var p = f.properties, ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      if (p.aggregate) {
        var icon = L.divIcon({className: "cell-icon", html: el("span", null, p.count), iconSize: [40, 40]});
        var m = L.marker(ll, {icon: icon, keyboard: false});
        m.bindTooltip(p.count + " " + T.tpsCount + " · " + T.opened + " " + p.opened + " · " + T.closed + " " + p.closed);
        m.on("click", function () { map.setView(ll, Math.min(map.getZoom() + 2, 18)); });
        cells.addLayer(m);
        return;
      }
      S.tps[p.id] = p;
      var marker = L.circleMarker(ll, {radius: 8, color: "#222", weight: 1, fillColor: tpsColor(p), fillOpacity: 0.95});
      marker.bindPopup(function () {
        return popup(p.label + " · " + p.kelurahan, [
          [p.code, p.status_label],
          [T.officers, p.officers_present],
          [T.dpt, p.dpt],
          [T.meals, p.meal_label],
          [T.nearest, p.station ? p.station + " (" + p.station_km + " km)" : ""]
        ], p.url);
      });
      marker.bindTooltip(p.label + " " + p.kelurahan);
      markers.push(marker);
    });
    cluster.addLayers(markers);
  }

  function drawIncidents(data) {
    var layer = S.layers.incidents;
    layer.clearLayers();
    S.incidents = {};
    data.features.forEach(function (f) {
      var p = f.properties, ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      S.incidents[p.id] = p;
      var m = L.circleMarker(ll, {radius: 11, color: "#000", weight: 2, fillColor: TRIAGE_COLORS[p.triage] || "#000",
                                  fillOpacity: 0.9, className: "incident-" + p.triage});
      m.incidentId = p.id;  // lets a popup be opened for one incident (links, tests)
      m.bindPopup(function () {
        return popup("#" + p.id + " " + p.triage_label + " · " + p.complaint, [
          [p.patient_kind, p.patient_name],
          [T.station, p.station],
          [T.reported, p.reported_at + " · " + p.status_label],
          ["TPS", p.tps],
          [T.notes, p.notes, "notes"]
        ], p.url);
      });
      layer.addLayer(m);
    });
  }

  function drawStations(data) {
    var layer = S.layers.stations;
    layer.clearLayers();
    data.features.forEach(function (f) {
      var p = f.properties, ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      if (p.max_km > 0) {
        layer.addLayer(L.circle(ll, {radius: p.max_km * 1000, color: "#c62828", weight: 1, dashArray: "6",
                                     fillOpacity: 0.04, interactive: false}));
      }
      var icon = L.divIcon({className: "station-icon" + (p.staffed ? "" : " unstaffed"), html: el("span", null, "+"),
                            iconSize: [26, 26]});
      var m = L.marker(ll, {icon: icon, zIndexOffset: 500});
      m.bindPopup(function () {
        return popup(p.name, [
          ["", p.staffed ? T.staffed : T.unstaffed],
          [T.covers, p.tps + " TPS, " + T.farthest + " " + p.max_km + " km"],
          [T.ambulances, p.ambulances],
          [T.hours, p.hours],
          ["☎", p.phone]
        ]);
      });
      layer.addLayer(m);
    });
  }

  function drawFacilities(data) {
    var layer = S.layers.facilities;
    layer.clearLayers();
    data.features.forEach(function (f) {
      var p = f.properties, ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      var icon = L.divIcon({className: "facility-icon", html: el("span", null, "H"), iconSize: [22, 22]});
      var m = L.marker(ll, {icon: icon});
      m.bindPopup(function () { return popup(p.name, [["", p.kind], ["", p.address]]); });
      layer.addLayer(m);
    });
  }

  function load(all) {
    var bbox = bboxParam(), zoom = map.getZoom();
    var jobs = [
      getJSON("tps", cfg.urls.tps + "?bbox=" + bbox + "&zoom=" + zoom + "&color=" + colorMode).then(function (d) { if (d) { drawTps(d); } }),
      getJSON("incidents", cfg.urls.incidents + "?bbox=" + bbox).then(function (d) { if (d) { drawIncidents(d); } })
    ];
    if (all) {
      jobs.push(getJSON("stations", cfg.urls.stations + "?bbox=" + bbox).then(function (d) { if (d) { drawStations(d); } }));
      jobs.push(getJSON("facilities", cfg.urls.facilities + "?bbox=" + bbox).then(function (d) { if (d) { drawFacilities(d); } }));
    }
    return Promise.all(jobs).then(function () {
      S.loads += 1;
      setStatus(T.updated + " " + new Date().toLocaleTimeString("id-ID"));
    }, function () {
      setStatus(T.error, true);
    });
  }

  var timer = null;
  map.on("moveend", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { load(true); }, 300);
  });
  document.querySelectorAll("input[name=color]").forEach(function (input) {
    input.addEventListener("change", function () {
      colorMode = input.value;
      document.querySelector(".legend-status").hidden = colorMode !== "status";
      document.querySelector(".legend-meals").hidden = colorMode !== "meals";
      load(false);
    });
  });
  var polls = 0;
  setInterval(function () {
    if (document.hidden) { return; }
    polls += 1;
    load(polls % 6 === 0);  // stations and facilities change rarely: once a minute
  }, cfg.pollMs);
  load(true);
})();
