"""The /map page's Folium part: base map, empty layers, layer control, legend.

Nothing of the data is in the page, boundaries included: static/js/siaga-map.js fills the layers from
the GeoJSON endpoints per viewport (boundaries simplified for the zoom), so the page's size and build
time do not grow with the number of TPS or areas. The Folium part depends only on the texts (the
language), so it is built once per language and reused; what differs per user (the area to fit) is in
the page's small JSON config. Only the map's own HTML and script are used from Folium's output; Leaflet
and its plugins come from this app's static files (no CDN), and the script runs under the CSP nonce.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import folium
from branca.element import MacroElement
from jinja2 import Template

from maps.marks import mark_svg

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
BOUNDARIES = ("kota", "kecamatan", "kelurahan")  # drawn under the overlays
HIDDEN_AT_START = ("kelurahan",)
OVERLAYS = ("tps", "incidents", "stations", "facilities")


@dataclass(frozen=True)
class MapParts:
    html: str  # the map's <div> and the legend
    script: str  # plain JavaScript, to be wrapped in <script nonce=...>


class ExposeLayers(MacroElement):
    """Hands the map, its empty overlay layers and the layer control to siaga-map.js."""

    _template = Template("""
{% macro script(this, kwargs) %}
window.SIAGA_MAP = {map: {{ this._parent.get_name() }}, control: {{ this.control.get_name() }}, layers: {
{% for key, layer in this.layers.items() %}"{{ key }}": {{ layer.get_name() }},{% endfor %}
}};
{% endmacro %}
""")

    def __init__(self, layers: dict, control):
        super().__init__()
        self._name = "ExposeLayers"
        self.layers = layers
        self.control = control


class Legend(MacroElement):
    """The legend, as markup with classes (the CSP forbids inline styles); texts come translated.

    Its title is a toggle button that folds the body away (siaga-map.js folds it from the start on
    phone-sized screens); without JavaScript it simply stays open."""

    _template = Template("""
{% macro html(this, kwargs) %}
<div class="map-legend" id="map-legend" role="region" aria-label="{{ this.texts.title|e }}">
  <button type="button" class="legend-toggle" aria-expanded="true" aria-controls="legend-body">{{ this.texts.title|e }}</button>
  <div class="legend-body" id="legend-body">
  <ul class="legend-status">{% for key, text in this.texts.status %}<li>{{ this.mark("status", key) }}{{ text|e }}</li>{% endfor %}</ul>
  <ul class="legend-meals" hidden>{% for key, text in this.texts.meals %}<li>{{ this.mark("meals", key) }}{{ text|e }}</li>{% endfor %}</ul>
  <ul>{% for key, text in this.texts.triage %}<li>{{ this.mark("triage", key, 16) }}{{ text|e }}</li>{% endfor %}</ul>
  <ul><li><span class="swatch station"></span>{{ this.texts.station|e }}</li><li><span class="swatch facility"></span>{{ this.texts.facility|e }}</li>
  <li><span class="swatch cell"></span>{{ this.texts.cell|e }}</li></ul>
  </div>
</div>
{% endmacro %}
""")

    def __init__(self, texts: dict):
        super().__init__()
        self._name = "Legend"
        self.texts = texts
        self.mark = mark_svg  # the markers' own shapes and colours (maps/marks.py)


def build_map(names: dict, legend: dict) -> MapParts:
    """The page's map: layers named `names` (boundaries and overlays), the legend's texts `legend`."""
    return _build(json.dumps(names, sort_keys=True), json.dumps(legend, sort_keys=True))


@lru_cache(maxsize=16)  # one per language (and per set of texts)
def _build(names_json: str, legend_json: str) -> MapParts:
    names, legend = json.loads(names_json), json.loads(legend_json)
    # Quarter zoom levels, so the reader's area can be fitted on any screen (siaga-map.js); the buttons
    # still step by one.
    fmap = folium.Map(location=[-2.13, 106.11], zoom_start=12, tiles=None, control_scale=True,
                      prefer_canvas=True, width="100%", height="100%", zoom_snap=0.25, zoom_delta=1)
    folium.TileLayer(OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19).add_to(fmap)
    layers = {key: folium.FeatureGroup(name=names[key], show=key not in HIDDEN_AT_START).add_to(fmap)
              for key in BOUNDARIES + OVERLAYS}
    control = folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.add_child(ExposeLayers(layers, control))
    fmap.add_child(Legend(legend))
    figure = fmap.get_root()
    figure.render()
    # "</" would end the inline <script> early; "<\/" means the same inside JavaScript strings.
    return MapParts(html=figure.html.render(), script=figure.script.render().replace("</", "<\\/"))
