"""Meal rounds not delivered 30 minutes after their planned time (logistics.rules.lateness)."""
from __future__ import annotations

from sqlalchemy import select

from logistics.models import Delivery, DeliveryKind, Kelurahan, Tps
from logistics.rules.transitions import DELIVERY_REACHED
from logistics.queries.alerts import Alert, alert_source
from logistics.rules.lateness import deadline
from logistics.settings import settings_for

DONE = DELIVERY_REACHED  # arrived, even unconfirmed, is not late


@alert_source
def meal_late_alerts(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]:
    grace = settings_for(session).meal_late
    query = (select(Delivery.id, Delivery.meal_round, Delivery.planned_at, Tps.id, Tps.number,
                    Kelurahan.kecamatan_id, Kelurahan.nama)
             .join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(Delivery.kind == DeliveryKind.MEAL, Delivery.status.not_in(DONE),
                    Delivery.planned_at >= day_start, Delivery.planned_at < day_end,
                    Delivery.planned_at < now - grace)
             .order_by(Delivery.planned_at, Tps.code))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(list(kecamatan_ids)))
    return [Alert(kind="meal_late", severity="medium", since=deadline(planned_at, grace), kecamatan_id=kec_id,
                  tps_id=tps_id, refs={"delivery_id": delivery_id},
                  message_id=f"{meal_round.label_id} untuk TPS {number:03d} {kelurahan} belum diterima.",
                  message_en=f"{meal_round.label_en} for TPS {number:03d} {kelurahan} has not arrived.")
            for delivery_id, meal_round, planned_at, tps_id, number, kec_id, kelurahan in session.execute(query)]
