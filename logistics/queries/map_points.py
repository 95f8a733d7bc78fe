"""Points for the live map, per viewport: TPS one by one when zoomed in, grid cells when zoomed out.

Every query filters on the (lon, lat) index first, so its cost follows what is on screen, not
how many TPS the country has. Zoomed out, the cells are read from `map_grid_cell` (counted in the
background, logistics/services/map_grid.py); a zoomed-in view with too many TPS counts finer cells live.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session, selectinload

from logistics.models import (
    Delivery, DeliveryKind, HealthFacility, HealthIncident, Kelurahan,
    MapGridCell, MapGridState, MedicStation, Person, PersonRole, Tps, TpsCoverage,
)
from logistics.rules.map_cells import CLOSED, NOT_OPENED, TOP_ZOOM, cell_degrees, cell_range
from logistics.permissions.read_scope import incident_in_kecamatan, tps_in_scope
from logistics.rules.meal_state import MealRow, MealState, meal_state
from logistics.settings import settings_for
from logistics.rules.lifecycles import incident as incident_lifecycle


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def parse(cls, text: str | None) -> BBox | None:
        """`minlon,minlat,maxlon,maxlat`; None when missing or malformed."""
        try:
            parts = [float(p) for p in (text or "").split(",")]
        except ValueError:
            return None
        if len(parts) != 4 or any(p != p for p in parts):  # p != p: NaN
            return None
        box = cls(*parts)
        if not (-180 <= box.min_lon <= box.max_lon <= 180 and -90 <= box.min_lat <= box.max_lat <= 90):
            return None
        return box


def _in_box(lon_col, lat_col, box: BBox | None):
    if box is None:
        return []
    return [lon_col.between(box.min_lon, box.max_lon), lat_col.between(box.min_lat, box.max_lat)]


def tps_in_box(session: Session, box: BBox, kecamatan_ids=None, limit: int = 5000) -> list[dict] | None:
    """TPS in the box with their nearest medic station (its name and the distance in metres; None while
    there is no station), or None when there are more than `limit` (the caller aggregates instead).
    One query: the coverage and the station are joined, not looked up by a second list of ids."""
    query = (select(Tps.id, Tps.code, Tps.number, Tps.lat, Tps.lon, Tps.status, Tps.officers_present, Tps.dpt,
                    Kelurahan.nama, Kelurahan.kecamatan_id, MedicStation.name, TpsCoverage.distance_m)
             .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .outerjoin(TpsCoverage, TpsCoverage.tps_id == Tps.id)
             .outerjoin(MedicStation, MedicStation.id == TpsCoverage.medic_station_id)
             .where(*_in_box(Tps.lon, Tps.lat, box)).limit(limit + 1))
    scope = tps_in_scope(kecamatan_ids)
    if scope is not None:
        query = query.where(scope)
    rows = session.execute(query).all()
    if len(rows) > limit:
        return None
    return [{"id": r[0], "code": r[1], "number": r[2], "lat": r[3], "lon": r[4], "status": r[5],
             "officers_present": r[6], "dpt": r[7], "kelurahan": r[8], "kecamatan_id": r[9], "station": r[10],
             "station_m": r[11]} for r in rows]


def floor_int(expr, dialect: str):
    """floor() as an integer on both databases (SQLite's CAST truncates, which is floor for the
    non-negative values the grid uses; PostgreSQL's CAST rounds)."""
    return cast(func.floor(expr), Integer) if dialect == "postgresql" else cast(expr, Integer)


def tps_grid(session: Session, box: BBox, zoom: int, kecamatan_ids=None) -> list[dict]:
    """TPS counted live per grid cell of `zoom` (logistics.rules.map_cells): centre of its TPS, total,
    opened, closed. For zoomed-in views with too many TPS (the box is small); zoomed out, `stored_grid`."""
    dialect = session.get_bind().dialect.name
    size = cell_degrees(zoom)
    col = floor_int((Tps.lon + 180.0) / size, dialect)
    row = floor_int((Tps.lat + 90.0) / size, dialect)
    opened = func.sum(case((Tps.status.in_(NOT_OPENED), 0), else_=1))
    closed = func.sum(case((Tps.status.in_(CLOSED), 1), else_=0))
    query = (select(func.count(Tps.id), func.avg(Tps.lat), func.avg(Tps.lon), opened, closed)
             .where(*_in_box(Tps.lon, Tps.lat, box)).group_by(col, row))
    scope = tps_in_scope(kecamatan_ids)
    if scope is not None:
        query = query.where(scope)
    return [{"count": n, "lat": float(lat), "lon": float(lon), "opened": int(o or 0), "closed": int(c or 0)}
            for n, lat, lon, o, c in session.execute(query)]


def grid_state(session: Session) -> MapGridState | None:
    """When the stored cells were counted, and from which data versions (None: never)."""
    return session.get(MapGridState, 1)


def grid_refreshed_at(session: Session) -> datetime | None:
    """When the stored cells were last counted (None: never): `grid_state`'s time alone, without the row."""
    return session.scalar(select(MapGridState.refreshed_at).where(MapGridState.id == 1))


def stored_grid(session: Session, box: BBox, zoom: int, kecamatan_ids=None) -> list[dict]:
    """The stored cells of `zoom` (at most TOP_ZOOM) touching the box: one row per cell for the whole
    area, the sum of the kecamatan's rows for a kecamatan coordinator."""
    zoom = min(zoom, TOP_ZOOM)
    x0, x1 = cell_range(box.min_lon, box.max_lon, zoom, 180.0)
    y0, y1 = cell_range(box.min_lat, box.max_lat, zoom, 90.0)
    c = MapGridCell
    where = [c.zoom == zoom, c.cx.between(x0, x1), c.cy.between(y0, y1)]
    if kecamatan_ids is None:
        query = select(c.tps, c.sum_lat, c.sum_lon, c.opened, c.closed).where(c.kecamatan_id == 0, *where)
    else:
        query = (select(func.sum(c.tps), func.sum(c.sum_lat), func.sum(c.sum_lon), func.sum(c.opened),
                        func.sum(c.closed)).where(c.kecamatan_id.in_(list(kecamatan_ids)), *where)
                 .group_by(c.cx, c.cy))
    return [{"count": int(n), "lat": float(slat) / n, "lon": float(slon) / n, "opened": int(o), "closed": int(cl)}
            for n, slat, slon, o, cl in session.execute(query) if n]


def meal_states(session: Session, tps_ids: list[int], now: datetime, day_start: datetime,
                day_end: datetime) -> dict[int, MealState]:
    """Today's meal state of each TPS (logistics.rules.meal_state)."""
    rows: dict[int, list[MealRow]] = defaultdict(list)
    for start in range(0, len(tps_ids), 2000):
        for tps_id, *row in session.execute(
            select(Delivery.tps_id, Delivery.planned_at, Delivery.status, Delivery.quantity_planned,
                   Delivery.quantity_received)
            .where(Delivery.tps_id.in_(tps_ids[start:start + 2000]), Delivery.kind == DeliveryKind.MEAL,
                   Delivery.planned_at >= day_start, Delivery.planned_at < day_end)
        ):
            rows[tps_id].append(MealRow(*row))
    grace = settings_for(session).meal_late
    return {tps_id: meal_state(rows.get(tps_id, []), now, grace) for tps_id in tps_ids}


def open_incidents(session: Session, box: BBox | None, kecamatan_ids=None) -> list[HealthIncident]:
    """Incidents not closed, placed at their TPS or their own position, in the box."""
    query = (select(HealthIncident).where(HealthIncident.status.in_(incident_lifecycle.OPEN),
                                          *_in_box(HealthIncident.effective_lon, HealthIncident.effective_lat, box))
             .options(selectinload(HealthIncident.tps).selectinload(Tps.kelurahan),
                      selectinload(HealthIncident.medic_station))
             .order_by(HealthIncident.reported_at.desc()).limit(2000))
    if kecamatan_ids is not None:
        query = query.where(incident_in_kecamatan(kecamatan_ids))
    return list(session.scalars(query))


def staffed_stations(session: Session) -> set[int]:
    """The stations with an active medic (the map shows the others as unstaffed)."""
    return set(session.scalars(select(Person.medic_station_id).where(
        Person.role == PersonRole.MEDIC, Person.active.is_(True), Person.medic_station_id.is_not(None))))


def stations_in_box(session: Session, box: BBox | None) -> list[MedicStation]:
    return list(session.scalars(select(MedicStation).where(*_in_box(MedicStation.lon, MedicStation.lat, box))
                                .order_by(MedicStation.code)))


def facilities_in_box(session: Session, box: BBox | None) -> list[HealthFacility]:
    return list(session.scalars(select(HealthFacility).where(*_in_box(HealthFacility.lon, HealthFacility.lat, box))
                                .order_by(HealthFacility.code).limit(5000)))



def boundaries_in_box(session: Session, model, column: str, box: BBox | None, limit: int = 5000) -> list[tuple]:
    """(id, nama, geometry) of the areas of `model` whose bounding box touches `box`, with the geometry
    from `column` (a simplified one; the exact `boundary` for an area whose simplified one is not filled)."""
    query = select(model.id, model.nama, getattr(model, column)).order_by(model.id).limit(limit)
    if box is not None:
        query = query.where(model.max_lon >= box.min_lon, model.min_lon <= box.max_lon,
                            model.max_lat >= box.min_lat, model.min_lat <= box.max_lat)
    rows = session.execute(query).all()
    missing = [r[0] for r in rows if r[2] is None]
    exact = dict(session.execute(select(model.id, model.boundary).where(model.id.in_(missing))).all()) if missing else {}
    return [(i, nama, geometry if geometry is not None else exact[i]) for i, nama, geometry in rows]
