"""The /map page's Folium part: base map, boundary layers, empty overlay layers, layer control, legend.

TPS, incidents, stations and facilities are NOT in the page: static/js/siaga-map.js fills the
overlay layers from the GeoJSON endpoints per viewport, so the page's size does not grow with the
number of TPS. Only the map's own HTML and script are used from Folium's output; Leaflet and
its plugins come from this app's static files (no CDN), and the script runs under the CSP nonce.
"""
from __future__ import annotations

from dataclasses import dataclass

import folium
from branca.element import MacroElement
from jinja2 import Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.models import Kecamatan, Kelurahan, Kota

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
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
  <ul class="legend-status">{% for key, text in this.texts.status %}<li><span class="swatch s-{{ key }}"></span>{{ text|e }}</li>{% endfor %}</ul>
  <ul class="legend-meals" hidden>{% for key, text in this.texts.meals %}<li><span class="swatch m-{{ key }}"></span>{{ text|e }}</li>{% endfor %}</ul>
  <ul>{% for key, text in this.texts.triage %}<li><span class="swatch t-{{ key }}"></span>{{ text|e }}</li>{% endfor %}</ul>
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


def _collection(areas) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": a.boundary, "properties": {"nama": a.nama, "id": a.id}} for a in areas]}


def build_map(session: Session, names: dict, legend: dict, focus_kecamatan_id: int | None) -> MapParts:
    """The page's map for the city of the focus kecamatan (or the first city), fitted to the focus."""
    focus = session.get(Kecamatan, focus_kecamatan_id) if focus_kecamatan_id else None
    kota = focus.kota if focus else session.scalar(select(Kota).order_by(Kota.id).limit(1))
    fmap = folium.Map(location=[-2.13, 106.11], zoom_start=12, tiles=None, control_scale=True,
                      prefer_canvas=True, width="100%", height="100%")
    folium.TileLayer(OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19).add_to(fmap)
    if kota is not None:
        kecamatan = list(session.scalars(select(Kecamatan).where(Kecamatan.kota_id == kota.id)))
        kelurahan = list(session.scalars(select(Kelurahan).join(Kecamatan).where(Kecamatan.kota_id == kota.id)))
        folium.GeoJson(_collection(kelurahan), name=names["kelurahan"], show=False,
                       style_function=lambda _f: {"color": "#6b4fa0", "weight": 1, "fill": False, "dashArray": "4"},
                       tooltip=folium.GeoJsonTooltip(fields=["nama"], labels=False)).add_to(fmap)
        folium.GeoJson(_collection(kecamatan), name=names["kecamatan"],
                       style_function=lambda _f: {"color": "#0a3a8c", "weight": 2.5, "fillOpacity": 0.03},
                       highlight_function=lambda _f: {"weight": 4},
                       tooltip=folium.GeoJsonTooltip(fields=["nama"], labels=False)).add_to(fmap)
        area = focus or kota
        fmap.fit_bounds([[area.min_lat, area.min_lon], [area.max_lat, area.max_lon]])
    layers = {key: folium.FeatureGroup(name=names[key]).add_to(fmap) for key in OVERLAYS}
    control = folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.add_child(ExposeLayers(layers, control))
    fmap.add_child(Legend(legend))
    figure = fmap.get_root()
    figure.render()
    # "</" would end the inline <script> early; "<\/" means the same inside JavaScript strings.
    return MapParts(html=figure.html.render(), script=figure.script.render().replace("</", "<\\/"))
