"""Medic station coverage, read from `tps_coverage`: each TPS's nearest station and the distance to it.

The table is kept current in the unit of work by `logistics.services.coverage`, so every process (every
gunicorn worker, every app server) reads the same answer, and a moved TPS or a new station shows in the
next read after its commit.
"""
from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from logistics.models import Kelurahan, Tps, TpsCoverage


def nearest(session: Session, tps_ids) -> dict[int, tuple[int, float]]:
    """{tps_id: (station_id, distance_m)} for those of `tps_ids` that have a station."""
    ids = list(tps_ids)
    if not ids:
        return {}
    rows = session.execute(select(TpsCoverage.tps_id, TpsCoverage.medic_station_id, TpsCoverage.distance_m)
                           .where(TpsCoverage.tps_id.in_(ids)))
    return {t: (s, d) for t, s, d in rows}


def covering_station(session: Session, tps) -> int | None:
    """The station nearest to one TPS (None only while there is no station at all)."""
    return session.scalar(select(TpsCoverage.medic_station_id).where(TpsCoverage.tps_id == tps.id))


def covered_by(station_id: int) -> Select:
    """The ids of the TPS whose nearest station is `station_id` (what its medics look after), as SQL."""
    return select(TpsCoverage.tps_id).where(TpsCoverage.medic_station_id == station_id)


def tps_covered_by(session: Session, station_id: int) -> list[int]:
    return list(session.scalars(covered_by(station_id)))


def kelurahan_covered_by(session: Session, station_id: int) -> list:
    """(id, name) of the kelurahan with a TPS the station covers, by name (the medics' list filter)."""
    return session.execute(
        select(Kelurahan.id, Kelurahan.nama).join(Tps, Tps.kelurahan_id == Kelurahan.id)
        .where(Tps.id.in_(covered_by(station_id))).distinct().order_by(Kelurahan.nama)).all()


def tps_of_kelurahan(session: Session, kelurahan_id: int) -> set[int]:
    return set(session.scalars(select(Tps.id).where(Tps.kelurahan_id == kelurahan_id)))


def per_station(session: Session, station_ids=None) -> dict[int, dict]:
    """{station_id: {"tps": how many TPS it is nearest to, "max_m": the farthest, "mean_m": their mean}}."""
    query = select(TpsCoverage.medic_station_id, func.count(), func.max(TpsCoverage.distance_m),
                   func.avg(TpsCoverage.distance_m)).group_by(TpsCoverage.medic_station_id)
    if station_ids is not None:
        query = query.where(TpsCoverage.medic_station_id.in_(list(station_ids)))
    return {s: {"tps": n, "max_m": float(m), "mean_m": float(a)} for s, n, m, a in session.execute(query)}
