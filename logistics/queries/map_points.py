"""Points for the live map, per viewport: TPS one by one when zoomed in, grid cells when zoomed out.

Every query filters on the (lon, lat) index first, so its cost follows what is on screen, not
how many TPS the country has.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session, selectinload

from logistics.models import (
    Delivery, DeliveryKind, DeliveryStatus, HealthFacility, HealthIncident, IncidentStatus, Kelurahan,
    MedicStation, Tps, TpsStatus,
)
from logistics.queries.scope import incident_kecamatan, tps_in_scope
from logistics.rules.meal_state import MealRow, MealState, meal_state
from logistics.settings import settings_for


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
    """TPS in the box, or None when there are more than `limit` (the caller aggregates instead)."""
    query = (select(Tps.id, Tps.code, Tps.number, Tps.lat, Tps.lon, Tps.status, Tps.officers_present, Tps.dpt,
                    Kelurahan.nama, Kelurahan.kecamatan_id)
             .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(*_in_box(Tps.lon, Tps.lat, box)).limit(limit + 1))
    scope = tps_in_scope(kecamatan_ids)
    if scope is not None:
        query = query.where(scope)
    rows = session.execute(query).all()
    if len(rows) > limit:
        return None
    return [{"id": r[0], "code": r[1], "number": r[2], "lat": r[3], "lon": r[4], "status": r[5],
             "officers_present": r[6], "dpt": r[7], "kelurahan": r[8], "kecamatan_id": r[9]} for r in rows]


def tps_grid(session: Session, box: BBox, cell_deg: float, kecamatan_ids=None) -> list[dict]:
    """TPS counted per grid cell of `cell_deg` degrees: centre of its TPS, total, opened, closed."""
    col = cast((Tps.lon + 180.0) / cell_deg, Integer)  # shifted to positive: CAST truncates = floor
    row = cast((Tps.lat + 90.0) / cell_deg, Integer)
    opened = func.sum(cast(Tps.status != TpsStatus.SETUP, Integer))
    closed = func.sum(cast(Tps.status.in_((TpsStatus.VOTING_CLOSED, TpsStatus.COUNTED, TpsStatus.HANDED_OVER)),
                           Integer))
    query = (select(func.count(Tps.id), func.avg(Tps.lat), func.avg(Tps.lon), opened, closed)
             .where(*_in_box(Tps.lon, Tps.lat, box)).group_by(col, row))
    scope = tps_in_scope(kecamatan_ids)
    if scope is not None:
        query = query.where(scope)
    return [{"count": n, "lat": float(lat), "lon": float(lon), "opened": int(o or 0), "closed": int(c or 0)}
            for n, lat, lon, o, c in session.execute(query)]


def meal_states(session: Session, tps_ids: list[int], now: datetime, day_start: datetime,
                day_end: datetime) -> dict[int, MealState]:
    """Today's meal state of each TPS (logistics.rules.meal_state)."""
    rows: dict[int, list[MealRow]] = defaultdict(list)
    for start in range(0, len(tps_ids), 2000):
        for tps_id, planned_at, status, delivered_at, planned, received in session.execute(
            select(Delivery.tps_id, Delivery.planned_at, Delivery.status,
                   func.coalesce(Delivery.arrived_at, Delivery.delivered_at),
                   Delivery.quantity_planned, Delivery.quantity_received)
            .where(Delivery.tps_id.in_(tps_ids[start:start + 2000]), Delivery.kind == DeliveryKind.MEAL,
                   Delivery.planned_at >= day_start, Delivery.planned_at < day_end)
        ):
            # An unconfirmed arrival counts as there (its quantity comes with the confirmation).
            rows[tps_id].append(MealRow(planned_at, status in (DeliveryStatus.ARRIVED, DeliveryStatus.DELIVERED),
                                        status == DeliveryStatus.FAILED, delivered_at, planned, received))
    grace = settings_for(session).meal_late
    return {tps_id: meal_state(rows.get(tps_id, []), now, grace) for tps_id in tps_ids}


def open_incidents(session: Session, box: BBox | None, kecamatan_ids=None) -> list[HealthIncident]:
    """Incidents not closed, placed at their TPS or their own position, in the box."""
    query = (select(HealthIncident).where(HealthIncident.status != IncidentStatus.CLOSED,
                                          *_in_box(HealthIncident.effective_lon, HealthIncident.effective_lat, box))
             .options(selectinload(HealthIncident.tps).selectinload(Tps.kelurahan),
                      selectinload(HealthIncident.medic_station))
             .order_by(HealthIncident.reported_at.desc()).limit(2000))
    if kecamatan_ids is not None:
        query = query.where(incident_kecamatan().in_(list(kecamatan_ids)))
    return list(session.scalars(query))


def stations_in_box(session: Session, box: BBox | None) -> list[MedicStation]:
    return list(session.scalars(select(MedicStation).where(*_in_box(MedicStation.lon, MedicStation.lat, box))
                                .order_by(MedicStation.code)))


def facilities_in_box(session: Session, box: BBox | None) -> list[HealthFacility]:
    return list(session.scalars(select(HealthFacility).where(*_in_box(HealthFacility.lon, HealthFacility.lat, box))
                                .order_by(HealthFacility.code).limit(5000)))


def data_version(session: Session, *models) -> str:
    """A cheap fingerprint of tables (newest change, highest id): both are index look-ups."""
    parts = []
    for model in models:
        # Two scalar subqueries, not one SELECT with two aggregates: SQLite answers a lone MAX() from
        # the index, but scans the table for MAX(a), MAX(b) together.
        newest, top = session.execute(select(select(func.max(model.updated_at)).scalar_subquery(),
                                             select(func.max(model.id)).scalar_subquery())).one()
        parts.append(f"{newest.isoformat() if newest else '-'}:{top or 0}")
    return "|".join(parts)
