"""Which medic station covers which TPS: the nearest one."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.models import MedicStation, Tps
from logistics.rules.geo import nearest


def nearest_station_by_tps(session: Session, tps_ids: Iterable[int] | None = None) -> dict[int, tuple[int, float]]:
    """{tps_id: (station_id, metres)} by great-circle distance."""
    stations = [(s.id, s.lat, s.lon) for s in session.scalars(select(MedicStation))]
    if not stations:
        return {}
    query = select(Tps.id, Tps.lat, Tps.lon)
    if tps_ids is not None:
        query = query.where(Tps.id.in_(list(tps_ids)))
    return {tps_id: nearest(lat, lon, stations) for tps_id, lat, lon in session.execute(query)}


def tps_covered_by(session: Session, station_id: int) -> list[int]:
    return [tps_id for tps_id, (sid, _m) in nearest_station_by_tps(session).items() if sid == station_id]
