"""Meals the courier marked "sampai" that the TPS has not confirmed (quantity, receiver) 15 minutes later."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from logistics.models import Delivery, DeliveryKind, DeliveryStatus, Kelurahan, Tps
from logistics.queries.alerts import Alert, alert_source
from logistics.timeutil import format_wib

CONFIRM_WITHIN = timedelta(minutes=15)


@alert_source
def meal_unconfirmed_alerts(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]:
    query = (select(Delivery.id, Delivery.meal_round, Delivery.arrived_at, Tps.id, Tps.number,
                    Kelurahan.kecamatan_id, Kelurahan.nama)
             .join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(Delivery.kind == DeliveryKind.MEAL, Delivery.status == DeliveryStatus.ARRIVED,
                    Delivery.planned_at >= day_start, Delivery.planned_at < day_end,
                    Delivery.arrived_at <= now - CONFIRM_WITHIN)
             .order_by(Delivery.arrived_at, Tps.code))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(list(kecamatan_ids)))
    return [Alert(kind="meal_unconfirmed", severity="low", since=arrived_at + CONFIRM_WITHIN, kecamatan_id=kec_id,
                  tps_id=tps_id, refs={"delivery_id": delivery_id},
                  message_id=f"{meal_round.label_id} TPS {number:03d} {kelurahan}: sampai "
                             f"{format_wib(arrived_at, '%H:%M')}, belum dikonfirmasi TPS.",
                  message_en=f"{meal_round.label_en} TPS {number:03d} {kelurahan}: arrived "
                             f"{format_wib(arrived_at, '%H:%M')}, not confirmed by the TPS.")
            for delivery_id, meal_round, arrived_at, tps_id, number, kec_id, kelurahan in session.execute(query)]
