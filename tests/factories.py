"""Small look-ups the service tests share."""
from sqlalchemy import select

from logistics.models import Delivery, DeliveryKind, Kecamatan, Kelurahan, MealRound, Tps


def tps_of(session, username_actor) -> Tps:
    return session.get(Tps, username_actor.tps_id)


def other_tps(session, not_id: int, kecamatan_name: str | None = None) -> Tps:
    query = select(Tps).where(Tps.id != not_id).order_by(Tps.code)
    if kecamatan_name:
        query = query.join(Kelurahan).join(Kecamatan).where(Kecamatan.nama == kecamatan_name)
    return session.scalars(query).first()


def meal(session, tps_id: int, meal_round: MealRound = MealRound.SIANG) -> Delivery:
    return session.scalar(select(Delivery).where(
        Delivery.tps_id == tps_id, Delivery.kind == DeliveryKind.MEAL, Delivery.meal_round == meal_round))
