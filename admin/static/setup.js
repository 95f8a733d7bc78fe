// The import preview's map: the file's points (TPS, stations, kelurahan label points) as circles, drawn from
// the JSON block on the page. No tiles: the preview works offline and shows the shape of the data.
(function () {
  "use strict";
  var holder = document.getElementById("preview-map");
  var data = document.getElementById("preview-points");
  if (!holder || !data || typeof L === "undefined") { return; }
  var preview = JSON.parse(data.textContent || "{}");
  var points = preview.points || [];
  var map = L.map(holder, { preferCanvas: true, attributionControl: false });
  var outlines = L.geoJSON((preview.outlines || []).map(function (g) { return { type: "Feature", geometry: g }; }),
                           { style: { color: "#0a3a8c", weight: 1.5, fillOpacity: 0.04 }, interactive: false }).addTo(map);
  var layer = L.featureGroup().addTo(map);
  points.forEach(function (p) {
    var colour = p.flagged ? "#b00020" : (p.approximate ? "#f5a800" : "#0a3a8c");
    var marker = L.circleMarker([p.lat, p.lon], { radius: p.flagged ? 8 : 5, color: "#222", weight: 1,
                                                  fillColor: colour, fillOpacity: 0.85 });
    var label = document.createElement("span");
    label.textContent = p.label;  // never HTML from the file
    marker.bindTooltip(label);
    marker.addTo(layer);
  });
  var bounds = points.length ? layer.getBounds() : outlines.getBounds();
  if (bounds.isValid()) { map.fitBounds(bounds.pad(0.05)); } else { map.setView([-2.5, 118], 5); }
}());
