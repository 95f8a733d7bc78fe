"""Meal rounds not delivered 30 minutes after their planned time (logistics.rules.lateness)."""
from __future__ import annotations

from sqlalchemy import literal, select

from logistics.models import Delivery, DeliveryKind, DeliveryStatus, Kelurahan, Tps
from logistics.texts import lazy_gettext
from logistics.queries.alerts import Alert, alert_source
from logistics.queries.sql_time import plus
from logistics.rules.lateness import is_overdue_sql
from logistics.rules.transitions import DELIVERY_REACHED
from logistics.settings import settings_for

DONE = DELIVERY_REACHED  # arrived, even unconfirmed, is not late
# The states that are not DONE, named positively so the database can use ix_delivery_open_planned_at.
NOT_DONE = tuple(s for s in DeliveryStatus if s not in DONE)


def build(row, moment, session) -> Alert:
    meal_round, number, kelurahan = row["meal_round"], row["number"], row["kelurahan"]
    return Alert(kind="meal_late", severity="medium", since=row["since"], kecamatan_id=row["kecamatan_id"],
                 tps_id=row["tps_id"], refs={"delivery_id": row["delivery_id"]},
                 message=lazy_gettext("{meal} untuk TPS {number} {kelurahan} belum diterima.", meal=meal_round.label,
                                      number=f"{number:03d}", kelurahan=kelurahan))


@alert_source(build)
def meal_late(session, moment, kecamatan_ids):
    grace = settings_for(session).meal_late
    query = (select(literal("meal_late").label("kind"), literal("medium").label("severity"),
                    plus(Delivery.planned_at, grace).label("since"),  # rules.lateness.deadline
                    Kelurahan.kecamatan_id.label("kecamatan_id"), Tps.id.label("tps_id"),
                    Delivery.id.label("delivery_id"), Delivery.meal_round.label("meal_round"),
                    Tps.number.label("number"), Kelurahan.nama.label("kelurahan"))
             .join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(Delivery.kind == DeliveryKind.MEAL,
                    Delivery.planned_at >= moment.day_start, Delivery.planned_at < moment.day_end,
                    is_overdue_sql(Delivery.planned_at, Delivery.status.not_in(NOT_DONE), moment.now, grace)))
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(kecamatan_ids))
    return query
