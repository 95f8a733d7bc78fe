"""Meals at risk: the courier's ETA is past the planned time, but the meal is not late yet."""
from __future__ import annotations

from sqlalchemy import select

from logistics.models import Delivery, DeliveryKind, DeliveryStatus, Kelurahan, Tps
from logistics.queries.alerts import Alert, alert_source
from logistics.settings import settings_for
from logistics.timeutil import format_wib


@alert_source
def meal_at_risk_alerts(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]:
    grace = settings_for(session).meal_late
    query = (select(Delivery, Tps.number, Kelurahan.nama, Kelurahan.kecamatan_id)
             .join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(Delivery.kind == DeliveryKind.MEAL,
                    Delivery.status.in_((DeliveryStatus.PLANNED, DeliveryStatus.DISPATCHED)),
                    Delivery.planned_at >= day_start, Delivery.planned_at < day_end,
                    Delivery.planned_at >= now - grace,  # once late, the lateness alert takes over
                    Delivery.eta_at > Delivery.planned_at))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(kecamatan_ids))
    alerts = []
    for delivery, number, kelurahan, kecamatan_id in session.execute(query):
        minutes = int((delivery.eta_at - delivery.planned_at).total_seconds() // 60)
        alerts.append(Alert(
            kind="meal_at_risk", severity="medium", since=delivery.planned_at, kecamatan_id=kecamatan_id,
            tps_id=delivery.tps_id, refs={"delivery_id": delivery.id},
            message_id=f"{delivery.meal_round.label_id} TPS {number:03d} {kelurahan} diperkirakan tiba "
                       f"{format_wib(delivery.eta_at, '%H:%M')}, {minutes} menit setelah rencana",
            message_en=f"{delivery.meal_round.label_en} for TPS {number:03d} {kelurahan} expected at "
                       f"{format_wib(delivery.eta_at, '%H:%M')}, {minutes} min after plan",
        ))
    return alerts
