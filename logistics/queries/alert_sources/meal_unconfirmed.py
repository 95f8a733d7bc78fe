"""Meals the courier marked "sampai" that the TPS has not confirmed (quantity, receiver) 15 minutes later."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import literal, select

from logistics.models import Delivery, DeliveryKind, DeliveryStatus, Kelurahan, Tps
from logistics.texts import lazy_gettext
from logistics.queries.alerts import Alert, alert_source
from logistics.queries.sql_time import plus
from logistics.queries.zones import deployment_zone
from logistics.timeutil import format_local

CONFIRM_WITHIN = timedelta(minutes=15)


def build(row, moment, session) -> Alert:
    meal_round, number, kelurahan, arrived_at = row["meal_round"], row["number"], row["kelurahan"], row["arrived_at"]
    return Alert(kind="meal_unconfirmed", severity="low", since=row["since"], kecamatan_id=row["kecamatan_id"],
                 tps_id=row["tps_id"], refs={"delivery_id": row["delivery_id"]},
                 message=lazy_gettext("{meal} TPS {number} {kelurahan}: sampai {at}, belum dikonfirmasi TPS.",
                                      meal=meal_round.label, number=f"{number:03d}", kelurahan=kelurahan,
                                      at=format_local(arrived_at, "%H:%M", deployment_zone(session))))


@alert_source(build, {"meal_unconfirmed": lazy_gettext("Konsumsi belum dikonfirmasi TPS")})
def meal_unconfirmed(session, moment, kecamatan_ids):
    query = (select(literal("meal_unconfirmed").label("kind"), literal("low").label("severity"),
                    plus(Delivery.arrived_at, CONFIRM_WITHIN).label("since"),
                    Kelurahan.kecamatan_id.label("kecamatan_id"), Tps.id.label("tps_id"),
                    Delivery.id.label("delivery_id"), Delivery.meal_round.label("meal_round"),
                    Delivery.arrived_at.label("arrived_at"), Tps.number.label("number"),
                    Kelurahan.nama.label("kelurahan"))
             .join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(Delivery.kind == DeliveryKind.MEAL, Delivery.status == DeliveryStatus.ARRIVED,
                    Delivery.planned_at >= moment.day_start, Delivery.planned_at < moment.day_end,
                    Delivery.arrived_at <= moment.now - CONFIRM_WITHIN))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(kecamatan_ids))
    return query
