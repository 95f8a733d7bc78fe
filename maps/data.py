"""GeoJSON for the live map, per viewport, with ETags so a poll that finds no change costs little.

/map/data/tps.geojson?bbox=minlon,minlat,maxlon,maxlat&zoom=Z&color=status|meals
  zoom >= DETAIL_ZOOM and at most MAX_POINTS TPS in view: one feature per TPS (clustered by the page);
  otherwise: one feature per grid cell (`aggregate: true`, count, opened, closed), shared for GRID_TTL_S.
/map/data/incidents.geojson, /map/data/stations.geojson, /map/data/facilities.geojson?bbox=...
"""
from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict

import marshmallow as ma
from flask import Response, jsonify, request, url_for
from sqlalchemy import select

from logistics.models import (
    Delivery, HealthIncident, MedicStation, Person, PersonRole, Role, Tps,
)
from logistics.queries import map_points as mp
from logistics.queries import coverage
from logistics.rules.meal_state import MealState
from logistics.timeutil import format_wib, utcnow
from maps import bp
from siaga.election import election_window
from logistics.permissions.read_scope import personal_visible, visible_ids
from siaga.auth import current_actor, kecamatan_scope, login_required
from siaga.extensions import db
from siaga.fields import FormChoice, FormInt, Translated, bad_text
from siaga.forms import FormSchema, with_query
from siaga.i18n import _, current_language, label, register_english

DETAIL_ZOOM = 10  # below this, always grid cells
MAX_POINTS = 2000  # more TPS than this in view: grid cells too
GRID_PX = 64  # a grid cell is about this many screen pixels wide
GRID_TTL_S = 15
GRID_CACHE_SIZE = 512
_grid_cache: OrderedDict = OrderedDict()
_grid_lock = threading.Lock()

MEAL_LABELS = {
    MealState.LATE: "Terlambat", MealState.SHORT: "Kurang", MealState.ARRIVED: "Sudah datang",
    MealState.PENDING: "Belum waktunya",
}
register_english({
    "Terlambat": "Late", "Kurang": "Short", "Sudah datang": "Arrived", "Belum waktunya": "Not due yet",
    "Parameter bbox tidak valid (minlon,minlat,maxlon,maxlat).": "Invalid bbox (minlon,minlat,maxlon,maxlat).",
})


class BBoxField(Translated, ma.fields.Field):
    """`minlon,minlat,maxlon,maxlat` in degrees."""

    def _deserialize(self, value, attr, data, **kwargs) -> mp.BBox:
        box = mp.BBox.parse(value) if isinstance(value, str) and not bad_text(value) else None
        if box is None:
            raise ma.ValidationError(_("Parameter bbox tidak valid (minlon,minlat,maxlon,maxlat)."))
        return box


class BoxQuery(FormSchema):
    bbox = BBoxField()


class TpsQuery(FormSchema):
    bbox = BBoxField(required=True)
    zoom = FormInt(0, 22)
    color = FormChoice(("status", "meals"))


def _conditional(version: str, build) -> Response:
    """Answer 304 when the client already has this version; otherwise build the body."""
    scope = kecamatan_scope()
    tag = hashlib.sha1(f"{version}|{request.full_path}|{scope}|{current_language()}".encode()).hexdigest()
    if tag in request.if_none_match:
        response = Response(status=304)
    else:
        response = jsonify(build())
        response.mimetype = "application/geo+json"
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _collection(features: list[dict], **extra) -> dict:
    return {"type": "FeatureCollection", "features": features, **extra}


def _point(lon: float, lat: float, properties: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": properties}


@bp.get("/map/data/tps.geojson")
@login_required(Role.COORDINATOR)
@with_query(TpsQuery)
def tps_geojson(query: dict):
    box, zoom = query["bbox"], query.get("zoom", DETAIL_ZOOM)
    meals = query.get("color") == "meals"
    if zoom < DETAIL_ZOOM:
        # Counts per cell may be GRID_TTL_S old: at national scale the data changes every moment,
        # and a zoomed-out view is where a query touches the most rows.
        return _conditional(f"grid|{int(time.time() // GRID_TTL_S)}", lambda: _grid(box, zoom))
    version = mp.data_version(db.session, Tps, Delivery) if meals else mp.data_version(db.session, Tps)
    if meals:
        version += utcnow().strftime("|%Y%m%d%H%M")  # lateness moves with the clock
    return _conditional(version, lambda: _tps_features(box, zoom, meals))


def _grid(box: mp.BBox, zoom: int) -> dict:
    """Grid cells for the box, shared for GRID_TTL_S between everyone asking for the same cells:
    the box is widened to whole cells, so nearby viewports ask the same question."""
    cell = 360.0 / (2 ** zoom) * GRID_PX / 256
    snapped = mp.BBox(max(-180.0, math.floor(box.min_lon / cell) * cell), max(-90.0, math.floor(box.min_lat / cell) * cell),
                      min(180.0, math.ceil(box.max_lon / cell) * cell), min(90.0, math.ceil(box.max_lat / cell) * cell))
    scope = kecamatan_scope()
    key = (int(time.time() // GRID_TTL_S), str(db.engine.url), snapped, zoom, tuple(scope or ()))
    with _grid_lock:
        if key in _grid_cache:
            _grid_cache.move_to_end(key)
            return _grid_cache[key]
    cells = mp.tps_grid(db.session, snapped, cell, scope)
    body = _collection([_point(c["lon"], c["lat"], {"aggregate": True, "count": c["count"], "opened": c["opened"],
                                                     "closed": c["closed"]}) for c in cells], aggregate=True)
    with _grid_lock:
        _grid_cache[key] = body
        while len(_grid_cache) > GRID_CACHE_SIZE:
            _grid_cache.popitem(last=False)
    return body


def _tps_features(box: mp.BBox, zoom: int, meals: bool) -> dict:
    scope = kecamatan_scope()
    rows = mp.tps_in_box(db.session, box, scope, MAX_POINTS)
    if rows is None:
        return _grid(box, zoom)
    states = {}
    if meals:
        start, end = election_window()
        states = mp.meal_states(db.session, [r["id"] for r in rows], utcnow(), start, end)
    nearest = coverage.nearest(db.session, [r["id"] for r in rows])
    station_ids = {n[0] for n in nearest.values() if n}
    names = dict(db.session.execute(select(MedicStation.id, MedicStation.name)
                                    .where(MedicStation.id.in_(station_ids))).all()) if station_ids else {}
    features = []
    for r in rows:
        props = {"id": r["id"], "label": f"TPS {r['number']:03d}", "kelurahan": r["kelurahan"], "code": r["code"],
                 "status": r["status"].value, "status_label": label(r["status"]),
                 "officers_present": r["officers_present"], "dpt": r["dpt"],
                 "url": url_for("maps.tps_record", tps_id=r["id"])}
        if r["id"] in states:
            props.update(meal=states[r["id"]].value, meal_label=_(MEAL_LABELS[states[r["id"]]]))
        near = nearest.get(r["id"])
        if near:
            props.update(station=names.get(near[0], ""), station_km=round(near[1] / 1000, 2))
        features.append(_point(r["lon"], r["lat"], props))
    return _collection(features, aggregate=False)


@bp.get("/map/data/incidents.geojson")
@login_required(Role.COORDINATOR)
@with_query(BoxQuery)
def incidents_geojson(query: dict):
    box = query.get("bbox")
    return _conditional(mp.data_version(db.session, HealthIncident), lambda: _incident_features(box))


def _incident_features(box) -> dict:
    features = []
    for incident in mp.open_incidents(db.session, box, kecamatan_scope()):
        lat, lon = incident.effective_lat, incident.effective_lon
        features.append(_point(lon, lat, {
            "id": incident.id, "triage": incident.triage.value, "triage_label": label(incident.triage),
            "status_label": label(incident.status), "complaint": incident.complaint,
            "patient_kind": label(incident.patient_kind), "patient_name": incident.patient_name or "",
            "notes": incident.notes or "", "reported_at": format_wib(incident.reported_at),
            "tps": f"TPS {incident.tps.number:03d} {incident.tps.kelurahan.nama}" if incident.tps else "",
            "station": incident.medic_station.name if incident.medic_station else "",
            "url": f"/lapangan/kejadian/{incident.id}",
        }))
    return _collection(features)


@bp.get("/map/data/stations.geojson")
@login_required(Role.COORDINATOR)
@with_query(BoxQuery)
def stations_geojson(query: dict):
    box = query.get("bbox")
    version = mp.data_version(db.session, MedicStation, Person) + "|" + coverage.version(db.session)
    return _conditional(version, lambda: _station_features(box))


def _station_features(box) -> dict:
    staffed = set(db.session.scalars(select(Person.medic_station_id).where(
        Person.role == PersonRole.MEDIC, Person.active.is_(True), Person.medic_station_id.is_not(None))))
    stations = mp.stations_in_box(db.session, box)
    per_station = coverage.per_station(db.session, [s.id for s in stations])
    # A station's phone is personal data: only for those who see its personal fields (its kecamatan).
    with_phone = visible_ids(db.session, personal_visible(db.session, current_actor(), MedicStation), MedicStation,
                             [s.id for s in stations])
    features = []
    for s in stations:
        cov = per_station.get(s.id, {"tps": 0, "max_m": 0.0, "mean_m": 0.0})
        features.append(_point(s.lon, s.lat, {
            "id": s.id, "name": s.name, "phone": (s.contact_phone or "") if s.id in with_phone else "",
            "ambulances": s.ambulances,
            "hours": f"{s.hours_from:%H:%M}–{s.hours_to:%H:%M} WIB", "staffed": s.id in staffed,
            "tps": cov["tps"], "max_km": round(cov["max_m"] / 1000, 2), "mean_km": round(cov["mean_m"] / 1000, 2),
        }))
    return _collection(features)


@bp.get("/map/data/facilities.geojson")
@login_required(Role.COORDINATOR)
@with_query(BoxQuery)
def facilities_geojson(query: dict):
    from logistics.models import HealthFacility

    box = query.get("bbox")
    return _conditional(mp.data_version(db.session, HealthFacility), lambda: _collection([
        _point(f.lon, f.lat, {"id": f.id, "name": f.name, "kind": label(f.kind), "address": f.address or ""})
        for f in mp.facilities_in_box(db.session, box)]))
