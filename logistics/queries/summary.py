"""Per-kecamatan figures of the day: the dashboard's table, the API's `summary`, the exports.

One grouped query per subject, so the cost does not grow with the number of TPS in Python.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from logistics.models import (
    Delivery, DeliveryKind, DeliveryStatus, HealthIncident, Kecamatan, Kelurahan, Kota, MealRound,
    MedicStation, RosterShift, Tps, Triage,
)
from logistics.permissions.read_scope import incident_in_kecamatan, incident_kecamatan
from logistics.rules.lifecycles.delivery import is_late_sql
from logistics.rules.lifecycles.tps_day import CLOSED, OPENED
from logistics.settings import settings_for
from logistics.rules.lifecycles import incident as incident_lifecycle



def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def kecamatan_summary(session: Session, now: datetime, day_start: datetime, day_end: datetime,
                      kecamatan_ids: Iterable[int] | None = None) -> list[dict]:
    """One dict per kecamatan (by Kemendagri code), for meal rounds planned in [day_start, day_end).

    Keys: kecamatan_id, kode, nama, tps_total, dpt, tps_opened, tps_closed, meals (per round:
    planned, delivered, arrived (the courier's "sampai", not confirmed by the TPS), failed,
    late), deliveries_late, incidents_open (per triage colour),
    medic_stations, medic_stations_staffed (someone on the roster at `now`).
    """
    # Columns only: a kecamatan's boundary (GeoJSON) is the bulk of its row and no figure needs it.
    kec_query = (select(Kecamatan.id, Kecamatan.kode_kemendagri, Kecamatan.nama, Kecamatan.kota_id)
                 .order_by(Kecamatan.kode_kemendagri))
    if kecamatan_ids is not None:
        kec_query = kec_query.where(Kecamatan.id.in_(list(kecamatan_ids)))
    rows = {k_id: _empty() | {"kecamatan_id": k_id, "kode": kode, "nama": nama, "kota_id": kota_id}
            for k_id, kode, nama, kota_id in session.execute(kec_query)}
    if not rows:
        return []
    ids = None if kecamatan_ids is None else list(rows)  # the whole country: no IN list of 7,007 ids

    def within(column):
        return [] if ids is None else [column.in_(ids)]

    for kec_id, total, dpt, opened, closed in session.execute(
        select(Kelurahan.kecamatan_id, func.count(Tps.id), func.coalesce(func.sum(Tps.dpt), 0),
               _count_if(Tps.status.in_(OPENED)), _count_if(Tps.status.in_(CLOSED)))
        .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
        .where(*within(Kelurahan.kecamatan_id)).group_by(Kelurahan.kecamatan_id)
    ):
        if kec_id not in rows:
            continue
        rows[kec_id].update(tps_total=total, dpt=int(dpt), tps_opened=int(opened), tps_closed=int(closed))

    overdue = is_late_sql(Delivery.status, Delivery.planned_at, now, settings_for(session).meal_late)
    for kec_id, meal_round, planned, delivered, arrived, failed, late in session.execute(
        select(Kelurahan.kecamatan_id, Delivery.meal_round, func.count(Delivery.id),
               _count_if(Delivery.status == DeliveryStatus.DELIVERED),
               _count_if(Delivery.status == DeliveryStatus.ARRIVED),
               _count_if(Delivery.status == DeliveryStatus.FAILED), _count_if(overdue))
        .join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
        .where(*within(Kelurahan.kecamatan_id), Delivery.kind == DeliveryKind.MEAL,
               Delivery.planned_at >= day_start, Delivery.planned_at < day_end)
        .group_by(Kelurahan.kecamatan_id, Delivery.meal_round)
    ):
        if kec_id not in rows:
            continue
        rows[kec_id]["meals"][meal_round.value] = {"planned": planned, "delivered": int(delivered),
                                                   "arrived": int(arrived),
                                                   "failed": int(failed), "late": int(late)}
        rows[kec_id]["deliveries_late"] += int(late)

    # Open incidents only (a few thousand at most), filtered by scope before their kecamatan is worked out.
    place_kecamatan = incident_kecamatan()
    in_scope = incident_in_kecamatan(ids)
    for kec_id, triage, n in session.execute(
        select(place_kecamatan, HealthIncident.triage, func.count(HealthIncident.id))
        .where(HealthIncident.status.in_(incident_lifecycle.OPEN), *([] if in_scope is None else [in_scope]))
        .group_by(place_kecamatan, HealthIncident.triage)
    ):
        if kec_id in rows:
            rows[kec_id]["incidents_open"][triage.value] = n

    # Staffed: someone on the roster at this moment.
    staffed = select(RosterShift.medic_station_id).where(RosterShift.starts_at <= now, RosterShift.ends_at > now)
    for kec_id, stations, staffed_n in session.execute(
        select(MedicStation.kecamatan_id, func.count(MedicStation.id), _count_if(MedicStation.id.in_(staffed)))
        .where(*within(MedicStation.kecamatan_id)).group_by(MedicStation.kecamatan_id)
    ):
        if kec_id not in rows:
            continue
        rows[kec_id].update(medic_stations=stations, medic_stations_staffed=int(staffed_n))
    return list(rows.values())


def _empty() -> dict:
    return {"tps_total": 0, "dpt": 0, "tps_opened": 0, "tps_closed": 0, "deliveries_late": 0,
            "medic_stations": 0, "medic_stations_staffed": 0,
            "meals": {r.value: {"planned": 0, "delivered": 0, "arrived": 0, "failed": 0, "late": 0} for r in MealRound},
            "incidents_open": {t.value: 0 for t in Triage}}


def kota_summary(session: Session, rows: list[dict]) -> list[dict]:
    """The kecamatan rows rolled up per kota (by Kemendagri code): same figures, with kota_id, kode, nama
    and the number of kecamatan. The national view reads 236 lines, not 7,007."""
    by_kota: dict[int, list[dict]] = {}
    for row in rows:
        by_kota.setdefault(row["kota_id"], []).append(row)
    if not by_kota:
        return []
    kota = session.execute(select(Kota.id, Kota.kode_kemendagri, Kota.nama).where(Kota.id.in_(list(by_kota)))
                           .order_by(Kota.kode_kemendagri)).all()
    return [city_totals(by_kota[k_id]) | {"kota_id": k_id, "kode": kode, "nama": nama, "kecamatan": len(by_kota[k_id])}
            for k_id, kode, nama in kota]


def city_totals(rows: list[dict]) -> dict:
    """The sum of kecamatan rows, same shape (without the kecamatan's own keys)."""
    total = _empty()
    for row in rows:
        for key in ("tps_total", "dpt", "tps_opened", "tps_closed", "deliveries_late", "medic_stations",
                    "medic_stations_staffed"):
            total[key] += row[key]
        for meal, figures in row["meals"].items():
            for name, value in figures.items():
                total["meals"][meal][name] += value
        for colour, n in row["incidents_open"].items():
            total["incidents_open"][colour] += n
    return total
