"""Small look-ups the service tests share."""
from sqlalchemy import select

from logistics.models import Delivery, DeliveryKind, Kecamatan, Kelurahan, MealRound, Tps, TpsCoverage


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


def tps_not_covered_by(session, station_id: int) -> Tps:
    """A TPS whose nearest medic station is not `station_id`: outside that station's medics' scope (the demo
    officer's TPS is inside the demo medic's, siaga/seeding/accounts.py)."""
    covered = select(TpsCoverage.tps_id).where(TpsCoverage.medic_station_id == station_id)
    return session.scalar(select(Tps).where(Tps.id.not_in(covered)).order_by(Tps.code).limit(1))


def save(session) -> None:
    """Commit what a test changed by hand as every writer does, in a unit of work: its data versions bumped
    and its coverage kept (logistics/services/unit_of_work.py; a bare commit of such a change fails)."""
    from logistics.services.unit_of_work import UnitOfWork

    with UnitOfWork(session) as uow:
        uow.commit()
