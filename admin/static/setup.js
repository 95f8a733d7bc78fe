// The import preview's map: the file's points (TPS, stations, kelurahan label points) as circles, drawn from
// the JSON block on the page. No tiles: the preview works offline and shows the shape of the data.
(function () {
  "use strict";
  var holder = document.getElementById("preview-map");
  var data = document.getElementById("preview-points");
  if (!holder || !data || typeof L === "undefined") { return; }
  var points = JSON.parse(data.textContent || "[]");
  var map = L.map(holder, { preferCanvas: true, attributionControl: false });
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
  if (points.length) { map.fitBounds(layer.getBounds().pad(0.1)); } else { map.setView([-2.5, 118], 5); }
}());
