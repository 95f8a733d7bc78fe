"""Meal shortage alerts: a meal round received with fewer portions than people on site.

The headcount is the delivery's `quantity_planned` (the plan sets it to the people on duty at the TPS).
"""
from __future__ import annotations

from sqlalchemy import literal, select

from logistics.models import Delivery, DeliveryKind, DeliveryStatus, Kelurahan, Tps
from logistics.texts import lazy_gettext, lazy_ngettext
from logistics.queries.alerts import Alert, alert_source


def build(row, moment, session) -> Alert:
    meal, number, kelurahan = row["meal_round"], row["number"], row["kelurahan"]
    received, planned = row["quantity_received"], row["quantity_planned"]
    return Alert(
        kind="meal_shortage", severity="high", since=row["since"], kecamatan_id=row["kecamatan_id"],
        tps_id=row["tps_id"], refs={"delivery_id": row["delivery_id"]},
        message=lazy_ngettext("TPS {number} {kelurahan}: {meal} kurang {n} porsi (diterima {received} dari {planned}).",
                              "TPS {number} {kelurahan}: {meal} kurang {n} porsi (diterima {received} dari {planned}).",
                              planned - received, number=f"{number:03d}", kelurahan=kelurahan, meal=meal.label,
                              received=received, planned=planned),
    )


@alert_source(build, {"meal_shortage": lazy_gettext("Konsumsi kurang")})
def meal_shortage(session, moment, kecamatan_ids):
    query = (select(literal("meal_shortage").label("kind"), literal("high").label("severity"),
                    Delivery.delivered_at.label("since"), Kelurahan.kecamatan_id.label("kecamatan_id"),
                    Tps.id.label("tps_id"), Delivery.id.label("delivery_id"), Delivery.meal_round.label("meal_round"),
                    Delivery.quantity_received.label("quantity_received"),
                    Delivery.quantity_planned.label("quantity_planned"),
                    Tps.number.label("number"), Kelurahan.nama.label("kelurahan"))
             .join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(Delivery.kind == DeliveryKind.MEAL, Delivery.status == DeliveryStatus.DELIVERED,
                    Delivery.quantity_received < Delivery.quantity_planned,
                    Delivery.delivered_at >= moment.day_start, Delivery.delivered_at < moment.day_end))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(kecamatan_ids))
    return query
