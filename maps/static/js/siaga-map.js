/* Siaga TPS live map: fills the Folium page's empty overlay layers from the GeoJSON endpoints,
 * per viewport (debounced on moveend) and again every few seconds (ETag: an unchanged poll is a 304), on
 * the live pages' clock (siaga/static/js/live.js: slower while the tab is hidden or the server fails).
 * A popup open when its layer is redrawn opens again on the same TPS, incident or station.
 * User-typed text only ever goes into the page through textContent, never innerHTML. */
(function () {
  "use strict";
  var S = window.SIAGA_MAP;
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var T = cfg.texts;
  var map = S.map;
  /* The reader's area fills the map (before moveend is listened to). The map snaps to quarter zoom levels
   * (maps/folium_page.py): on a 390 px phone a city fits at 11.5, where whole levels left it at 11, a third
   * of the map around it. The padding keeps the outline off the edges, less of it on a small screen. */
  if (cfg.bounds) {
    var size = map.getSize(), pad = Math.round(Math.max(4, Math.min(16, Math.min(size.x, size.y) * 0.03)));
    map.fitBounds(cfg.bounds, {padding: [pad, pad], animate: false});  // no zoom animation a first move would race
  }
  /* The data endpoints count and simplify by whole zoom levels (maps/data.py). */
  function wholeZoom() { return Math.floor(map.getZoom()); }
  var colorMode = "status";
  var etags = {};
  /* Each state's shape (maps/marks.py, also the legend's); its colour is the class mark-<mode>-<state> in
   * maps.css. Triage colours are the incidents' alone. */
  var MARKS = cfg.marks;
  var SVG_NS = "http://www.w3.org/2000/svg";
  function markIcon(mode, state, size, className) {
    var svg = document.createElementNS(SVG_NS, "svg"), path = document.createElementNS(SVG_NS, "path");
    svg.setAttribute("viewBox", "0 0 20 20");
    svg.setAttribute("class", "mark mark-" + mode + "-" + state);
    path.setAttribute("d", (MARKS[mode] && MARKS[mode][state]) || MARKS.status.setup);
    svg.appendChild(path);
    return L.divIcon({className: className, html: svg, iconSize: [size, size]});
  }

  var TRIAGE_ORDER = {merah: 0, kuning: 1, hijau: 2, hitam: 3};
  var INCIDENT_SIZE = 22;  // px, an incident's icon

  /* Incidents get their own pane above markers (600) and clusters, below tooltips (650) and popups
   * (700): a merah incident is never hidden under a TPS group or a station icon. */
  var incidentPane = map.createPane("siaga-incidents");
  incidentPane.style.zIndex = 640;

  /* TPS groups use the neutral blue-grey of the legend's "Kumpulan TPS" (see maps.css), never the
   * plugin's green/yellow/orange, which read as triage colours. */
  /* The open popup's marker, by what it shows ("incident:12"), so a redraw can open it again. */
  var openKey = null, openKeyDrawn = null, reopenLater = [];
  var cluster = L.markerClusterGroup({chunkedLoading: true, disableClusteringAtZoom: 16, maxClusterRadius: 50,
                                      // Markers arrive in chunks, put on the map just after the last one's
                                      // progress call: the open popup's TPS is reopened then.
                                      chunkProgress: function (done, total) {
                                        if (done === total) { setTimeout(function () { reopen(openKeyDrawn); }, 0); }
                                      },
                                      iconCreateFunction: function (c) {
                                        return L.divIcon({className: "marker-cluster tps-group",
                                                          html: el("span", null, c.getChildCount()).outerHTML,
                                                          iconSize: [36, 36]});
                                      }});
  var cells = L.layerGroup();
  S.layers.tps.addLayer(cluster).addLayer(cells);
  S.tps = {};  // id -> latest properties (read by the end-to-end tests too)
  S.loads = 0;

  /* A popup closed because a redraw removed its marker is still wanted: only the user's close forgets it.
   * Otherwise a redraw that starts before the previous one has reopened it (two answers arriving together:
   * a poll's and a move's) would find no popup open and draw it closed for good. */
  var redrawing = false;
  function redraw(clear) {
    redrawing = true;
    try { clear(); } finally { redrawing = false; }
  }
  map.on("popupopen", function (e) { openKey = (e.popup._source && e.popup._source.siagaKey) || null; });
  map.on("popupclose", function (e) {
    if (!redrawing && e.popup._source && e.popup._source.siagaKey === openKey) { openKey = null; }
  });
  function keyed(marker, key, reopen) {
    marker.siagaKey = key;
    if (reopen === key) { reopenLater.push(marker); }
    return marker;
  }
  /* After a layer of `prefix` markers is drawn without the open popup's marker (it left the view, or its
   * record is gone): that popup is no longer wanted. */
  function forgetUnless(drawn, prefix, key) {
    if (key && key === openKey && key.indexOf(prefix) === 0 && !drawn) { openKey = null; }
  }
  /* After a layer is drawn: the popup that was open opens again where it was (no pan, so no reload). */
  function reopen(key) {
    var markers = reopenLater;
    reopenLater = [];
    markers.forEach(function (marker) {
      if (!map.hasLayer(marker)) {  // inside a TPS group at this zoom, or not added yet
        if (!marker.siagaTried) { marker.siagaTried = true; reopenLater.push(marker); }
        return;
      }
      var popup = marker.getPopup(), pan = popup.options.autoPan;
      popup.options.autoPan = false;
      marker.openPopup();
      popup.options.autoPan = pan;
      openKey = key;
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  /* Every tooltip goes through here: Leaflet renders a string tooltip as HTML, so an area or TPS name with
   * markup (an uploaded boundary file) would become live; a text node cannot. */
  function tooltip(layer, text, options) {
    return layer.bindTooltip(el("span", null, text), options);
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

  /* The server's time of the newest answer, shown in the election's zone: the stamp does not depend on the
   * browser's clock or zone. The TPS layer says the election clock its colours are judged at (a playing
   * drill's simulated time, as the dashboard's "computed at"); the others, their Date header. */
  var serverTime = null, electionTime = null;
  function stamp(r) {
    var clock = r.headers.get("Election-Clock"), date = r.headers.get("Date");
    if (clock) { electionTime = new Date(clock); serverTime = null; }
    else if (date && !electionTime) { serverTime = new Date(date); }
  }
  function updatedText() {
    var when = electionTime || serverTime || new Date();
    // 08:45:50, as every time the server writes (the browser's Indonesian locale would write 08.45.50).
    return T.updated + " " + when.toLocaleTimeString("en-GB", {timeZone: cfg.zone.name, hour: "2-digit", minute: "2-digit",
                                                               second: "2-digit", hourCycle: "h23"}) + " " + cfg.zone.abbr;
  }

  /* GET with our own ETag; resolves to the parsed body, or null when unchanged (304). */
  function getJSON(key, url) {
    var headers = {"Accept": "application/json"};
    var known = etags[key];
    if (known && known.url === url) { headers["If-None-Match"] = known.tag; }
    return fetch(url, {headers: headers, cache: "no-store", credentials: "same-origin"}).then(function (r) {
      stamp(r);
      if (r.status === 304) { return null; }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      etags[key] = {url: url, tag: r.headers.get("ETag")};
      return r.json();
    });
  }

  function tpsIcon(p) {
    return colorMode === "meals" ? markIcon("meals", p.meal || "pending", 18, "tps-mark")
                                 : markIcon("status", p.status, 18, "tps-mark");
  }

  function drawTps(data) {
    var keep = openKeyDrawn = openKey;
    reopenLater = [];  // markers of an earlier drawing not yet reopened: this one replaces them
    redraw(function () { cluster.clearLayers(); cells.clearLayers(); });
    S.tps = {};
    S.cells = [];  // the grid cells' properties (read by the end-to-end tests too)
    var markers = [];
    data.features.forEach(function (f) {
      var p = f.properties, ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      if (p.aggregate) {
        S.cells.push(p);
        var icon = L.divIcon({className: "cell-icon", html: el("span", null, p.count), iconSize: [40, 40]});
        var m = L.marker(ll, {icon: icon, keyboard: false});
        tooltip(m, p.count + " " + T.tpsCount + " · " + T.opened + " " + p.opened + " · " + T.closed + " " + p.closed);
        m.on("click", function () { map.setView(ll, Math.min(map.getZoom() + 2, 18)); });
        cells.addLayer(m);
        return;
      }
      S.tps[p.id] = p;
      var marker = L.marker(ll, {icon: tpsIcon(p), keyboard: false});
      marker.bindPopup(function () {
        return popup(p.label + " · " + p.kelurahan, [
          [p.code, p.status_label],
          [T.officers, p.officers_present],
          [T.dpt, p.dpt],
          [T.meals, p.meal_label],
          [T.nearest, p.station ? p.station + " (" + p.station_km + " km)" : ""]
        ], p.url);
      });
      tooltip(marker, p.label + " " + p.kelurahan);
      markers.push(keyed(marker, "tps:" + p.id, keep));
    });
    forgetUnless(reopenLater.length, "tps:", keep);
    cluster.addLayers(markers);  // then chunkProgress reopens the popup
  }

  /* Incidents at one point (an incident at a TPS sits on the TPS) are fanned out on a ring around it,
   * most urgent first, with a badge in the middle giving their count. The offset is in screen pixels
   * (the icon's anchor), so the fan keeps its shape at every zoom. */
  function fanOffsets(n) {
    if (n < 2) { return [[0, 0]]; }
    // Far enough out that neighbours on the ring do not overlap, and clear of the count badge.
    var radius = Math.max(INCIDENT_SIZE, (INCIDENT_SIZE + 3) / (2 * Math.sin(Math.PI / n))), out = [];
    for (var i = 0; i < n; i++) {
      var angle = -Math.PI / 2 + 2 * Math.PI * i / n;
      out.push([Math.round(radius * Math.cos(angle)), Math.round(radius * Math.sin(angle))]);
    }
    return out;
  }

  function incidentMarker(p, ll, offset, keep) {
    var size = INCIDENT_SIZE;
    var icon = markIcon("triage", p.triage, size, "incident-icon incident-" + p.triage);
    icon.options.iconAnchor = [size / 2 - offset[0], size / 2 - offset[1]];
    var m = L.marker(ll, {icon: icon, pane: "siaga-incidents", title: "#" + p.id + " " + p.triage_label,
                          riseOnHover: true});
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
    return keyed(m, "incident:" + p.id, keep);
  }

  function drawIncidents(data) {
    var layer = S.layers.incidents, keep = openKey;
    layer.clearLayers();
    S.incidents = {};
    S.incidentFans = {};  // "lat,lon" -> incident ids at that point (read by the end-to-end tests too)
    var points = {};
    data.features.forEach(function (f) {
      var key = f.geometry.coordinates[1].toFixed(6) + "," + f.geometry.coordinates[0].toFixed(6);
      (points[key] = points[key] || []).push(f);
      S.incidents[f.properties.id] = f.properties;
    });
    Object.keys(points).forEach(function (key) {
      var group = points[key].sort(function (a, b) {
        return (TRIAGE_ORDER[a.properties.triage] - TRIAGE_ORDER[b.properties.triage]) || (a.properties.id - b.properties.id);
      });
      var ll = [group[0].geometry.coordinates[1], group[0].geometry.coordinates[0]];
      var offsets = fanOffsets(group.length);
      S.incidentFans[key] = group.map(function (f) { return f.properties.id; });
      if (group.length > 1) {
        var badge = L.divIcon({className: "incident-count", html: el("span", null, group.length).outerHTML,
                               iconSize: [20, 20]});
        var b = L.marker(ll, {icon: badge, pane: "siaga-incidents", interactive: false, keyboard: false});
        b.isFanCount = true;
        layer.addLayer(b);
      }
      group.forEach(function (f, i) { layer.addLayer(incidentMarker(f.properties, ll, offsets[i], keep)); });
    });
    reopen(keep);
  }

  function drawStations(data) {
    var layer = S.layers.stations, keep = openKey;
    layer.clearLayers();
    data.features.forEach(function (f) {
      var p = f.properties, ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      if (p.max_km > 0) {
        layer.addLayer(L.circle(ll, {radius: p.max_km * 1000, color: "#0a3a8c", weight: 1, dashArray: "6",
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
      layer.addLayer(keyed(m, "station:" + p.id, keep));
    });
    reopen(keep);
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

  /* Boundaries: one GeoJSON layer per level inside its (Folium) layer group, fetched for the viewport
   * when the group is on the map and the zoom is high enough. The box is snapped outwards to a coarse
   * grid (about 1024 px), so panning nearby asks the same URL and the browser's cache answers
   * (Cache-Control max-age, then a revalidation with the ETag). Names go in through textContent. */
  var BOUNDARY_STYLES = {
    kota: {color: "#0a3a8c", weight: 3, fill: false},
    kecamatan: {color: "#0a3a8c", weight: 2.5, fillOpacity: 0.03},
    kelurahan: {color: "#6b4fa0", weight: 1, fill: false, dashArray: "4"}
  };
  var boundaryShown = {};  // level -> URL drawn
  S.boundaryFeatures = {};  // level -> features drawn (read by the end-to-end tests too)

  function snappedBox(zoom) {
    var step = 360 / Math.pow(2, zoom) * 4, b = map.getBounds();
    var lo = function (v, min) { return Math.max(min, Math.floor(v / step) * step); };
    var hi = function (v, max) { return Math.min(max, Math.ceil(v / step) * step); };
    return [lo(b.getWest(), -180), lo(b.getSouth(), -90), hi(b.getEast(), 180), hi(b.getNorth(), 90)]
      .map(function (v) { return v.toFixed(4); }).join(",");
  }

  function loadBoundaries() {
    var zoom = wholeZoom();
    Object.keys(cfg.boundaries).forEach(function (level) {
      var group = S.layers[level], spec = cfg.boundaries[level];
      if (!map.hasLayer(group)) { return; }
      if (zoom < spec.minZoom) {
        group.clearLayers();
        boundaryShown[level] = null;
        S.boundaryFeatures[level] = 0;
        return;
      }
      var url = spec.url + "?bbox=" + snappedBox(zoom) + "&zoom=" + zoom;
      if (boundaryShown[level] === url) { return; }
      boundaryShown[level] = url;
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"}).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      }).then(function (data) {
        if (boundaryShown[level] !== url) { return; }  // the view moved on meanwhile
        group.clearLayers();
        var style = BOUNDARY_STYLES[level];
        group.addLayer(L.geoJSON(data, {
          style: function () { return style; },
          onEachFeature: function (f, layer) {
            tooltip(layer, f.properties.nama, {sticky: true});
            if (level === "kecamatan") {
              layer.on("mouseover", function () { layer.setStyle({weight: 4}); });
              layer.on("mouseout", function () { layer.setStyle(style); });
            }
          }
        }));
        S.boundaryFeatures[level] = data.features.length;
      }).catch(function () {
        boundaryShown[level] = null;
        setStatus(T.error, true);
      });
    });
  }
  map.on("overlayadd", function () { loadBoundaries(); });

  function load(all) {
    var bbox = bboxParam(), zoom = wholeZoom();
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
      setStatus(updatedText());
      return true;
    }, function () {
      setStatus(T.error, true);
      return false;
    });
  }

  /* The legend folds: a toggle button, folded from the start on a phone-sized screen. */
  var legend = document.getElementById("map-legend");
  var toggle = legend && legend.querySelector(".legend-toggle");
  function foldLegend(folded) {
    legend.classList.toggle("folded", folded);
    toggle.setAttribute("aria-expanded", folded ? "false" : "true");
  }
  if (toggle) {
    foldLegend(window.matchMedia("(max-width: 700px)").matches);
    toggle.addEventListener("click", function () { foldLegend(!legend.classList.contains("folded")); });
    L.DomEvent.disableClickPropagation(legend);
  }

  /* The layer control folds on a phone (a tap on its icon opens it, a tap on the map closes it), so it
   * does not cover a third of the map; on a command-post screen it stays open. */
  if (S.control && window.matchMedia("(max-width: 700px)").matches) {
    S.control.collapse();
    S.control.getContainer().classList.add("folds");
    map.on("click", function () { S.control.collapse(); });
  }

  var timer = null;
  map.on("moveend", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { loadBoundaries(); load(true); }, 300);
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
  window.siagaLive.every(function () {
    polls += 1;
    // Stations and facilities change rarely: every POLLS_ALL checks (about a minute).
    return load(polls % cfg.pollsAll === 0).then(function (ok) { if (!ok) { throw new Error("map data"); } });
  });
  loadBoundaries();
  load(true);
})();
