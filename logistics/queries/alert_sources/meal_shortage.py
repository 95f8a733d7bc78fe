"""Meal shortage alerts: a meal round received with fewer portions than people on site.

The headcount is the delivery's `quantity_planned` (the plan sets it to the people on duty at the TPS).
"""
from __future__ import annotations

from sqlalchemy import select

from logistics.models import Delivery, DeliveryKind, DeliveryStatus, Kelurahan, Tps
from logistics.queries.alerts import Alert, alert_source


@alert_source
def meal_shortage_alerts(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]:
    query = (select(Delivery, Tps.number, Kelurahan.nama, Kelurahan.kecamatan_id)
             .join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(Delivery.kind == DeliveryKind.MEAL, Delivery.status == DeliveryStatus.DELIVERED,
                    Delivery.quantity_received < Delivery.quantity_planned,
                    Delivery.delivered_at >= day_start, Delivery.delivered_at < day_end))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(list(kecamatan_ids)))
    alerts = []
    for delivery, number, kelurahan, kecamatan_id in session.execute(query):
        short = delivery.quantity_planned - delivery.quantity_received
        meal = delivery.meal_round
        alerts.append(Alert(
            kind="meal_shortage", severity="high", since=delivery.delivered_at,
            kecamatan_id=kecamatan_id, tps_id=delivery.tps_id, refs={"delivery_id": delivery.id},
            message_id=f"TPS {number:03d} {kelurahan}: {meal.label_id} kurang {short} porsi "
                       f"(diterima {delivery.quantity_received} dari {delivery.quantity_planned}).",
            message_en=f"TPS {number:03d} {kelurahan}: {meal.label_en} short by {short} portions "
                       f"(received {delivery.quantity_received} of {delivery.quantity_planned}).",
        ))
    return alerts
