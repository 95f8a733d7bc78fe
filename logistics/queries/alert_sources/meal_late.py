"""Meal rounds late: not reached 30 minutes (the setting) after their planned time (lifecycles.delivery.is_late)."""
from __future__ import annotations

from sqlalchemy import literal, select

from logistics.models import Delivery, DeliveryKind, Kelurahan, Tps
from logistics.texts import lazy_gettext
from logistics.queries.alerts import Alert, alert_source
from logistics.queries.sql_time import plus
from logistics.rules.lifecycles.delivery import is_late_sql
from logistics.settings import settings_for


def build(row, moment, session) -> Alert:
    meal_round, number, kelurahan = row["meal_round"], row["number"], row["kelurahan"]
    return Alert(kind="meal_late", severity="medium", since=row["since"], kecamatan_id=row["kecamatan_id"],
                 tps_id=row["tps_id"], refs={"delivery_id": row["delivery_id"]},
                 message=lazy_gettext("{meal} untuk TPS {number} {kelurahan} belum diterima.", meal=meal_round.label,
                                      number=f"{number:03d}", kelurahan=kelurahan))


@alert_source(build, {"meal_late": lazy_gettext("Konsumsi terlambat")})
def meal_late(session, moment, kecamatan_ids):
    grace = settings_for(session).meal_late
    query = (select(literal("meal_late").label("kind"), literal("medium").label("severity"),
                    plus(Delivery.planned_at, grace).label("since"),  # lifecycles.delivery.deadline
                    Kelurahan.kecamatan_id.label("kecamatan_id"), Tps.id.label("tps_id"),
                    Delivery.id.label("delivery_id"), Delivery.meal_round.label("meal_round"),
                    Tps.number.label("number"), Kelurahan.nama.label("kelurahan"))
             .join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(Delivery.kind == DeliveryKind.MEAL,
                    Delivery.planned_at >= moment.day_start, Delivery.planned_at < moment.day_end,
                    is_late_sql(Delivery.status, Delivery.planned_at, moment.now, grace)))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(kecamatan_ids))
    return query
