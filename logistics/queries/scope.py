"""Which kecamatan a read query covers, and the election day's time window."""
from __future__ import annotations


from sqlalchemy import ColumnElement, func, select

from logistics.models import HealthIncident, Kelurahan, MedicStation, Tps


def tps_kecamatan():
    """A scalar subquery: the kecamatan of `Tps`'s kelurahan (for filters without joins)."""
    return select(Kelurahan.kecamatan_id).where(Kelurahan.id == Tps.kelurahan_id).scalar_subquery()


def tps_in_scope(kecamatan_ids) -> ColumnElement[bool] | None:
    """Filter on `Tps` for a coordinator's kecamatan (None: the whole city, no filter)."""
    if kecamatan_ids is None:
        return None
    return Tps.kelurahan_id.in_(select(Kelurahan.id).where(Kelurahan.kecamatan_id.in_(list(kecamatan_ids))))


def incident_kecamatan():
    """The kecamatan an incident belongs to: its TPS's, else its medic station's."""
    tps_kec = (select(Kelurahan.kecamatan_id).join(Tps, Tps.kelurahan_id == Kelurahan.id)
               .where(Tps.id == HealthIncident.tps_id).scalar_subquery())
    station_kec = (select(MedicStation.kecamatan_id).where(MedicStation.id == HealthIncident.medic_station_id)
                   .scalar_subquery())
    return func.coalesce(tps_kec, station_kec)
