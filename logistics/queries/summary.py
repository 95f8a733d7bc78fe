"""Per-kecamatan figures of the day: the dashboard's table, the API's `summary`, the exports.

One grouped query per subject, so the cost does not grow with the number of TPS in Python.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from logistics.models import (
    Delivery, DeliveryKind, DeliveryStatus, HealthIncident, IncidentStatus, Kecamatan, Kelurahan, MealRound,
    MedicStation, RosterShift, Tps, TpsStatus, Triage,
)
from logistics.queries.scope import incident_kecamatan
from logistics.rules.transitions import DELIVERY_REACHED
from logistics.settings import settings_for

OPENED = (TpsStatus.OPEN, TpsStatus.VOTING_CLOSED, TpsStatus.COUNTED, TpsStatus.HANDED_OVER)
CLOSED = (TpsStatus.VOTING_CLOSED, TpsStatus.COUNTED, TpsStatus.HANDED_OVER)
DONE = DELIVERY_REACHED  # arrived, even unconfirmed, is not late


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
    kec_query = select(Kecamatan).order_by(Kecamatan.kode_kemendagri)
    if kecamatan_ids is not None:
        kec_query = kec_query.where(Kecamatan.id.in_(list(kecamatan_ids)))
    rows = {k.id: {
        "kecamatan_id": k.id, "kode": k.kode_kemendagri, "nama": k.nama, "tps_total": 0, "dpt": 0,
        "tps_opened": 0, "tps_closed": 0,
        "meals": {r.value: {"planned": 0, "delivered": 0, "arrived": 0, "failed": 0, "late": 0} for r in MealRound},
        "deliveries_late": 0, "incidents_open": {t.value: 0 for t in Triage},
        "medic_stations": 0, "medic_stations_staffed": 0,
    } for k in session.scalars(kec_query)}
    if not rows:
        return []
    ids = list(rows)

    for kec_id, total, dpt, opened, closed in session.execute(
        select(Kelurahan.kecamatan_id, func.count(Tps.id), func.coalesce(func.sum(Tps.dpt), 0),
               _count_if(Tps.status.in_(OPENED)), _count_if(Tps.status.in_(CLOSED)))
        .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
        .where(Kelurahan.kecamatan_id.in_(ids)).group_by(Kelurahan.kecamatan_id)
    ):
        rows[kec_id].update(tps_total=total, dpt=int(dpt), tps_opened=int(opened), tps_closed=int(closed))

    overdue = and_(Delivery.status.not_in(DONE), Delivery.planned_at < now - settings_for(session).meal_late)
    for kec_id, meal_round, planned, delivered, arrived, failed, late in session.execute(
        select(Kelurahan.kecamatan_id, Delivery.meal_round, func.count(Delivery.id),
               _count_if(Delivery.status == DeliveryStatus.DELIVERED),
               _count_if(Delivery.status == DeliveryStatus.ARRIVED),
               _count_if(Delivery.status == DeliveryStatus.FAILED), _count_if(overdue))
        .join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
        .where(Kelurahan.kecamatan_id.in_(ids), Delivery.kind == DeliveryKind.MEAL,
               Delivery.planned_at >= day_start, Delivery.planned_at < day_end)
        .group_by(Kelurahan.kecamatan_id, Delivery.meal_round)
    ):
        rows[kec_id]["meals"][meal_round.value] = {"planned": planned, "delivered": int(delivered),
                                                   "arrived": int(arrived),
                                                   "failed": int(failed), "late": int(late)}
        rows[kec_id]["deliveries_late"] += int(late)

    place_kecamatan = incident_kecamatan()
    for kec_id, triage, n in session.execute(
        select(place_kecamatan, HealthIncident.triage, func.count(HealthIncident.id))
        .where(HealthIncident.status != IncidentStatus.CLOSED, place_kecamatan.in_(ids))
        .group_by(place_kecamatan, HealthIncident.triage)
    ):
        rows[kec_id]["incidents_open"][triage.value] = n

    # Staffed: someone on the roster at this moment.
    staffed = select(RosterShift.medic_station_id).where(RosterShift.starts_at <= now, RosterShift.ends_at > now)
    for kec_id, stations, staffed_n in session.execute(
        select(MedicStation.kecamatan_id, func.count(MedicStation.id), _count_if(MedicStation.id.in_(staffed)))
        .where(MedicStation.kecamatan_id.in_(ids)).group_by(MedicStation.kecamatan_id)
    ):
        rows[kec_id].update(medic_stations=stations, medic_stations_staffed=int(staffed_n))
    return list(rows.values())


def city_totals(rows: list[dict]) -> dict:
    """The sum of kecamatan rows, same shape (without the kecamatan's own keys)."""
    total = {"tps_total": 0, "dpt": 0, "tps_opened": 0, "tps_closed": 0, "deliveries_late": 0,
             "medic_stations": 0, "medic_stations_staffed": 0,
             "meals": {r.value: {"planned": 0, "delivered": 0, "arrived": 0, "failed": 0, "late": 0} for r in MealRound},
             "incidents_open": {t.value: 0 for t in Triage}}
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
