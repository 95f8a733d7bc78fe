"""Meals at risk: the courier's ETA is past the planned time, but the meal is not late yet."""
from __future__ import annotations

from sqlalchemy import literal, select

from logistics.models import Delivery, DeliveryKind, Kelurahan, Tps
from logistics.texts import lazy_gettext
from logistics.queries.alerts import Alert, alert_source
from logistics.rules.lifecycles.delivery import is_at_risk_sql
from logistics.settings import settings_for
from logistics.queries.zones import deployment_zone
from logistics.timeutil import format_local


def build(row, moment, session) -> Alert:
    meal_round, number, kelurahan, eta_at = row["meal_round"], row["number"], row["kelurahan"], row["eta_at"]
    minutes = int((eta_at - row["since"]).total_seconds() // 60)
    return Alert(
        kind="meal_at_risk", severity="medium", since=row["since"], kecamatan_id=row["kecamatan_id"],
        tps_id=row["tps_id"], refs={"delivery_id": row["delivery_id"]},
        message=lazy_gettext("{meal} TPS {number} {kelurahan} diperkirakan tiba {eta}, {minutes} menit setelah rencana",
                             meal=meal_round.label, number=f"{number:03d}", kelurahan=kelurahan,
                             eta=format_local(eta_at, "%H:%M", deployment_zone(session)), minutes=minutes),
    )


@alert_source(build, {"meal_at_risk": lazy_gettext("Konsumsi berisiko terlambat")})
def meal_at_risk(session, moment, kecamatan_ids):
    grace = settings_for(session).meal_late
    query = (select(literal("meal_at_risk").label("kind"), literal("medium").label("severity"),
                    Delivery.planned_at.label("since"), Kelurahan.kecamatan_id.label("kecamatan_id"),
                    Tps.id.label("tps_id"), Delivery.id.label("delivery_id"), Delivery.meal_round.label("meal_round"),
                    Delivery.eta_at.label("eta_at"), Tps.number.label("number"), Kelurahan.nama.label("kelurahan"))
             .join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(Delivery.kind == DeliveryKind.MEAL,
                    Delivery.planned_at >= moment.day_start, Delivery.planned_at < moment.day_end,
                    Delivery.planned_at >= moment.now - grace,  # once late, the lateness alert takes over
                    is_at_risk_sql(Delivery.status, Delivery.planned_at, Delivery.eta_at)))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(kecamatan_ids))
    return query
