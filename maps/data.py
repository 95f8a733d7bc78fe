"""GeoJSON for the live map, per viewport, with ETags so a poll that finds no change costs little.

/map/data/tps.geojson?bbox=minlon,minlat,maxlon,maxlat&zoom=Z&color=status|meals
  zoom >= DETAIL_ZOOM and at most MAX_POINTS TPS in view: one feature per TPS (clustered by the page);
  otherwise: one feature per grid cell (`aggregate: true`, count, opened, closed), read from the stored
  counts (`map_grid_cell`, refreshed by the worker; counted live for a zoom finer than stored, and while
  the counts are behind with the worker down).
/map/data/incidents.geojson, /map/data/stations.geojson, /map/data/facilities.geojson?bbox=...
/map/data/boundaries/<kota|kecamatan|kelurahan>.geojson?bbox=...&zoom=Z: outlines simplified for the zoom.

ETags come from data versions (logistics/services/data_versions.py): counters every committed change
bumps, kept in the database, so every process and app server gives the same tag for the same data. The TPS
and incidents layers' tags are the counters of the map cells their box covers (`drawn_in`: a change in
another kecamatan leaves a coordinator's poll a 304; a box wider than 4° reads the tables' counters);
the stations, facilities and boundaries change with an edit or an import, not every second: their tables'
counters. The TPS
layer's bodies are also kept per process under their tag (`_Bodies`, MAP_KEPT_BODIES_MB, 16 MB): a second
coordinator asking for the same view of the same data gets the body built for the first, without its queries
or its JSON. Every tag names the election read, so a past election an admin browses never gets the active
one's body or a 304 for it; its zoomed-out cells are counted live (the stored ones count the active election).
The incidents layer's unchanged poll, and the TPS layer's when its tag is its versions alone (points, status
colour), is answered ahead of Flask by siaga/live.py's early check (`_early`), over the same tag (`layer_tag`).
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import marshmallow as ma
from flask import Response, current_app, request, url_for

from logistics.election_scope import current_election_id, is_read_only
from logistics.rules.complaints import complaint_label
from logistics.models import MedicStation
from logistics.permissions import Permission
from logistics.queries import map_points as mp
from logistics.queries import coverage
from logistics.queries.data_versions import versions
from logistics.rules.map_cells import TOP_ZOOM
from logistics.services.boundary_shapes import AREAS, column_for_zoom
from logistics.services.data_versions import drawn_in
from logistics.services.map_grid import source_version
from logistics.rules.meal_state import MealState
from maps import bp
from siaga.election import clock_now, election_now, election_window, local_time, local_zone, wall_clock
from logistics.permissions.read_scope import personal_visible, visible_ids
from siaga.auth import READER_SCOPE, current_actor, kecamatan_scope, requires
from siaga.extensions import db
from siaga.fields import FormChoice, FormInt, Translated, bad_text
from siaga.forms import FormSchema, load, with_query
from siaga.i18n import _, current_language, label, language_of, lazy_gettext
from siaga.live import READ_DRILL, READ_ELECTION, Early, checked_early, not_modified
from siaga.worker.heartbeat import worker_alive

DETAIL_ZOOM = 10  # below this, always grid cells
MAX_POINTS = 2000  # more TPS than this in view: grid cells too
# Boundaries are drawn from this zoom on (a country's kelurahan at zoom 5 would be 80,000 outlines).
BOUNDARY_MIN_ZOOM = {"kota": 0, "kecamatan": 8, "kelurahan": 11}
BOUNDARY_MAX_AGE_S = 300  # boundaries change with an import; the browser may reuse one for 5 minutes

LAYER_CACHE = "private, no-cache"  # a layer's answer: kept by the browser, asked again (If-None-Match) each time

MEAL_LABELS = {
    MealState.LATE: lazy_gettext("Terlambat"), MealState.SHORT: lazy_gettext("Kurang"),
    MealState.ARRIVED: lazy_gettext("Sudah datang"),
    MealState.PENDING: lazy_gettext("Belum waktunya"),
}


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


class BoundaryQuery(FormSchema):
    bbox = BBoxField()
    zoom = FormInt(0, 22)


class _Bodies:
    """The last bodies this process built, by their ETag (at most `max_bytes` of them, the least recently
    used dropped first). The tag is made of everything the body depends on — the data versions it shows,
    the address (bbox, zoom, colour), the reader's scope and the language — so a body found under it is
    the body the view would build again; a change of the data is a new tag, never a stale body. Read
    before the data, a version can only make a body newer than its tag, never older (`versions`)."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.size = max_bytes, 0
        self.bodies: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()  # a threaded server (the dev server, the e2e live server)

    def get(self, tag: str) -> bytes | None:
        with self.lock:
            body = self.bodies.get(tag)
            if body is not None:
                self.bodies.move_to_end(tag)
            return body

    def put(self, tag: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self.lock:
            if tag in self.bodies:
                return
            self.bodies[tag] = body
            self.size += len(body)
            while self.size > self.max_bytes:
                _old, dropped = self.bodies.popitem(last=False)
                self.size -= len(dropped)


def keep_bodies(app) -> None:
    """The TPS layer's kept bodies for this app: MAP_KEPT_BODIES_MB (16: a view of MAX_POINTS TPS is about
    700 KB, so a few dozen views per worker; 0: none). None under tests: their transactions are rolled back,
    data versions with them, so the next test reaches the same versions with other data — as would a
    database restored from a backup under running app servers (restart them after a restore, docs/DEPLOY.md)."""
    size = app.config.get("MAP_KEPT_BODIES_MB", 0 if app.testing else 16)
    if size:
        app.extensions["siaga_map_bodies"] = _Bodies(int(float(size) * 1024 * 1024))


def _tps_bodies() -> _Bodies | None:
    return current_app.extensions.get("siaga_map_bodies")


def layer_tag(version: str, full_path: str, scope: list[int] | None, language: str, election: int | None) -> str:
    """A layer's tag, computed here only: for the full way (`_conditional`) and the early one (`_early`).
    The election read (the active one, or a past one an admin browses: admin/elections.py) is part of it: the
    data versions are shared by every election, so without it a browsed election would get the active one's
    kept body, or a 304 for the other election's copy."""
    return hashlib.sha1(f"{version}|{full_path}|{scope}|{language}|{election}".encode()).hexdigest()


def _conditional(version: str, build, cache_control: str = LAYER_CACHE, bodies: _Bodies | None = None
                 ) -> Response:
    """Answer 304 when the client already has this version; otherwise the body (from `bodies` when this
    process built it for the same tag already, else built and kept there)."""
    tag = layer_tag(version, request.full_path, kecamatan_scope(), current_language(), current_election_id(db.session))
    if tag in request.if_none_match:
        response = not_modified(tag)
    else:
        body = bodies.get(tag) if bodies is not None else None
        if body is None:
            # jsonify's compact form (keys in the order written: sorting them is work nobody reads), as bytes
            body = (current_app.json.dumps(build(), separators=(",", ":"), sort_keys=False) + "\n").encode()
            if bodies is not None:
                bodies.put(tag, body)
        response = current_app.response_class(body, mimetype="application/geo+json")
    response.set_etag(tag)
    response.headers["Cache-Control"] = cache_control
    return response


def _early(schema: type[FormSchema], names, moving_clock: bool = False) -> Early:
    """A layer's unchanged poll answered ahead of Flask (siaga/live.py, `EarlyCheck`): its data versions
    (`names(query)`, the address parsed by the view's `schema`: None when they are not the versions alone), the reader's scope and the
    active election read in the login's statement, tagged by `layer_tag`. A layer whose answer carries the
    election clock (`moving_clock`: the TPS layer's Election-Clock) is answered early only with no drill (then
    the clock is the wall clock; a drill's moves at its own pace, read the full way)."""
    def tag(read) -> str | None:
        if moving_clock and read.drill() is not None:
            return None
        return layer_tag(read.versions, read.asking.full_path, read.scope(), language_of(read.asking),
                         read.election())

    def headers(_read) -> dict:
        return {"Cache-Control": LAYER_CACHE, **({"Election-Clock": wall_clock().isoformat()} if moving_clock else {})}

    return Early(lambda asking, _view_args: names(load(schema, asking.args)), tag,
                 (*READER_SCOPE, READ_ELECTION, *((READ_DRILL,) if moving_clock else ())), headers)


def _collection(features: list[dict], **extra) -> dict:
    return {"type": "FeatureCollection", "features": features, **extra}


def _point(lon: float, lat: float, properties: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": properties}


def _tps_shown(box: mp.BBox, meals: bool) -> tuple[str, ...]:
    """What a TPS point shows: the TPS (those drawn in the box), its kelurahan's name, its nearest station's
    name and distance (and for meals, the deliveries of the TPS in the box). The names, the stations and
    the coverage change with an edit, not every second: their tables' counters."""
    return (*drawn_in("tps", box), "kelurahan", "tps_coverage", "medic_station",
            *(drawn_in("delivery", box) if meals else ()))


def _tps_early(query: dict) -> tuple[str, ...] | None:
    """The TPS layer's versions when its tag is made of them alone (`_early`): the points of a zoom finer than
    the stored cells, coloured by status. Not the cells (their tag is their refresh's, read the full way), nor
    the meals colour (its tag moves with the election clock's minute)."""
    if query.get("zoom", DETAIL_ZOOM) <= TOP_ZOOM or query.get("color") == "meals":
        return None
    return _tps_shown(query["bbox"], meals=False)


@bp.get("/map/data/tps.geojson")
@checked_early(_early(TpsQuery, _tps_early, moving_clock=True))
@requires(Permission.FIGURES_VIEW)
@with_query(TpsQuery)
def tps_geojson(query: dict):
    box, zoom = query["bbox"], query.get("zoom", DETAIL_ZOOM)
    meals = query.get("color") == "meals"
    if zoom < DETAIL_ZOOM:
        return _grid(box, zoom)
    version = versions(db.session, *_tps_shown(box, meals))
    counted_at = None
    if zoom <= TOP_ZOOM:
        # A view with too many TPS shows cells: the stored ones down to TOP_ZOOM, in the tag by their refresh;
        # finer, counted live from the TPS in the box (`_cells`), whose counters are in the tag already. Not
        # read for those: the refresh (every MAP_GRID_REFRESH_S at the peak) would make every third poll of a
        # kecamatan's view download it again for nothing.
        counted_at = mp.grid_refreshed_at(db.session)
        version += f"|{counted_at.isoformat() if counted_at else '-'}"
    if meals:
        version += election_now().strftime("|%Y%m%d%H%M")  # lateness moves with the (election day's) clock
    response = _conditional(version, lambda: _tps_features(box, zoom, meals, counted=counted_at is not None),
                            bodies=_tps_bodies())
    # The moment the colours are judged at (a playing drill's simulated time): the page's "updated" stamp.
    response.headers["Election-Clock"] = clock_now().isoformat()
    return response


def _grid(box: mp.BBox, zoom: int) -> Response:
    """Grid cells from the stored counts. They may be a refresh behind the data (seconds): a zoomed-out
    view is where a live count would touch the most rows, and at national scale TPS change every moment.
    The worker counts them again after a change (siaga/worker/jobs.py, `refresh_map_grid`); counts behind
    the data while the worker is down would never catch up, so then the request counts live (slower)."""
    state = mp.grid_state(db.session)
    if state is None or is_read_only(db.session) or (
            state.source != source_version(db.session) and not worker_alive(db.session)):
        # never counted (a fresh database), a past election browsed (the stored cells count the active one's
        # TPS), or nobody counting: count live
        return _conditional(versions(db.session, "tps", "kelurahan"), lambda: _cells(box, zoom, live=True),
                            bodies=_tps_bodies())
    return _conditional(f"grid|{state.source}|{state.refreshed_at.isoformat()}", lambda: _cells(box, zoom),
                        bodies=_tps_bodies())


def _cells(box: mp.BBox, zoom: int, live: bool = False) -> dict:
    scope = kecamatan_scope()
    if live or zoom > TOP_ZOOM:
        cells = mp.tps_grid(db.session, box, zoom, scope)
    else:
        cells = mp.stored_grid(db.session, box, zoom, scope)
    return _collection([_point(c["lon"], c["lat"], {"aggregate": True, "count": c["count"], "opened": c["opened"],
                                                     "closed": c["closed"]}) for c in cells], aggregate=True)


def _tps_features(box: mp.BBox, zoom: int, meals: bool, counted: bool) -> dict:
    scope = kecamatan_scope()
    rows = mp.tps_in_box(db.session, box, scope, MAX_POINTS)
    if rows is None:  # too many to show one by one: cells (live for a past election: stored ones are the active's)
        return _cells(box, zoom, live=not counted or is_read_only(db.session))
    states = {}
    if meals:
        start, end = election_window()
        states = mp.meal_states(db.session, [r["id"] for r in rows], election_now(), start, end)
    status_labels = {}  # each status's label once, not once per TPS
    url_prefix = url_for("maps.tps_record", tps_id=1)[:-1]  # the record's address, built once: "/tps/" + id
    features = []
    for r in rows:
        status = r["status"]
        if status not in status_labels:
            status_labels[status] = label(status)
        props = {"id": r["id"], "label": f"TPS {r['number']:03d}", "kelurahan": r["kelurahan"], "code": r["code"],
                 "status": status.value, "status_label": status_labels[status],
                 "officers_present": r["officers_present"], "dpt": r["dpt"], "url": f"{url_prefix}{r['id']}"}
        if r["id"] in states:
            props.update(meal=states[r["id"]].value, meal_label=str(MEAL_LABELS[states[r["id"]]]))
        if r["station_m"] is not None:
            props.update(station=r["station"], station_km=round(r["station_m"] / 1000, 2))
        features.append(_point(r["lon"], r["lat"], props))
    return _collection(features, aggregate=False)


def _incidents_shown(query: dict) -> tuple[str, ...]:
    return drawn_in("health_incident", query.get("bbox"))


@bp.get("/map/data/incidents.geojson")
@checked_early(_early(BoxQuery, _incidents_shown))
@requires(Permission.FIGURES_VIEW)
@with_query(BoxQuery)
def incidents_geojson(query: dict):
    box = query.get("bbox")
    return _conditional(versions(db.session, *_incidents_shown(query)), lambda: _incident_features(box))


def _incident_features(box) -> dict:
    features = []
    for incident in mp.open_incidents(db.session, box, kecamatan_scope()):
        lat, lon = incident.effective_lat, incident.effective_lon
        features.append(_point(lon, lat, {
            "id": incident.id, "triage": incident.triage.value, "triage_label": label(incident.triage),
            "status_label": label(incident.status), "complaint": str(complaint_label(incident.complaint)),
            "patient_kind": label(incident.patient_kind), "patient_name": incident.patient_name or "",
            "notes": incident.notes or "", "reported_at": local_time(incident.reported_at),
            "tps": f"TPS {incident.tps.number:03d} {incident.tps.kelurahan.nama}" if incident.tps else "",
            "station": incident.medic_station.name if incident.medic_station else "",
            "url": f"/lapangan/kejadian/{incident.id}",
        }))
    return _collection(features)


@bp.get("/map/data/stations.geojson")
@requires(Permission.FIGURES_VIEW)
@with_query(BoxQuery)
def stations_geojson(query: dict):
    box = query.get("bbox")
    version = versions(db.session, "medic_station", "person", "tps_coverage")
    return _conditional(version, lambda: _station_features(box))


def _station_features(box) -> dict:
    staffed = mp.staffed_stations(db.session)
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
            "hours": f"{s.hours_from:%H:%M}–{s.hours_to:%H:%M} {local_zone().name}", "staffed": s.id in staffed,
            "tps": cov["tps"], "max_km": round(cov["max_m"] / 1000, 2), "mean_km": round(cov["mean_m"] / 1000, 2),
        }))
    return _collection(features)


@bp.get("/map/data/facilities.geojson")
@requires(Permission.FIGURES_VIEW)
@with_query(BoxQuery)
def facilities_geojson(query: dict):
    box = query.get("bbox")
    return _conditional(versions(db.session, "health_facility"), lambda: _collection([
        _point(f.lon, f.lat, {"id": f.id, "name": f.name, "kind": label(f.kind), "address": f.address or ""})
        for f in mp.facilities_in_box(db.session, box)]))


@bp.get("/map/data/boundaries/<any(kota, kecamatan, kelurahan):level>.geojson")
@requires(Permission.FIGURES_VIEW)
@with_query(BoundaryQuery)
def boundaries_geojson(query: dict, level: str):
    """One level's outlines in the box, simplified for the zoom (stored at import time). The same for
    every coordinator (boundaries are the map's base), cached by the browser for a few minutes and then
    revalidated with the ETag."""
    box, zoom = query.get("bbox"), query.get("zoom", 12)
    column = column_for_zoom(zoom)
    version = f"{versions(db.session, level)}|{column}"

    def build() -> dict:
        if zoom < BOUNDARY_MIN_ZOOM[level]:
            return _collection([], min_zoom=BOUNDARY_MIN_ZOOM[level])
        return _collection([{"type": "Feature", "geometry": geometry, "properties": {"id": i, "nama": nama}}
                            for i, nama, geometry in mp.boundaries_in_box(db.session, AREAS[level], column, box)])

    response = _conditional(version, build, f"private, max-age={BOUNDARY_MAX_AGE_S}")
    response.no_personal_data = True  # public outlines: the browser may keep them (siaga/security.py)
    return response
