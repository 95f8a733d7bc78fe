"""Read-side views for planning and health pages: meal plans with ETAs, rosters with gaps, the
SILOG logistics checklist, and the officers a medic station looks after."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, joinedload

from logistics.models import (
    Delivery, DeliveryKind, HealthCheckin, HealthScreening, Kelurahan, MealRound, MedicStation, Person,
    PersonRole, RiskTier, RosterShift, Tps,
)
from logistics.queries.coverage import tps_covered_by
from logistics.rules.roster import coverage_gaps, opening_window
from logistics.queries.zones import day_window


def _in_kecamatan(query, kecamatan_ids: Iterable[int] | None):
    return query if kecamatan_ids is None else query.where(Kelurahan.kecamatan_id.in_(list(kecamatan_ids)))


def meal_plan(session: Session, day: date, meal_round: MealRound, kecamatan_ids: Iterable[int] | None) -> list[Delivery]:
    """The round's deliveries in courier and route order, with TPS and courier loaded."""
    start, end = day_window(session, day)
    courier = aliased(Person)
    query = (select(Delivery).join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .outerjoin(courier, Delivery.courier_id == courier.id)
             .where(Delivery.kind == DeliveryKind.MEAL, Delivery.meal_round == meal_round,
                    Delivery.planned_at >= start, Delivery.planned_at < end)
             .options(joinedload(Delivery.tps).joinedload(Tps.kelurahan), joinedload(Delivery.courier))
             .order_by(courier.code, Delivery.route_seq, Tps.code))
    return session.scalars(_in_kecamatan(query, kecamatan_ids)).unique().all()


def couriers(session: Session, kecamatan_ids: Iterable[int] | None) -> list[Person]:
    query = select(Person).where(Person.role == PersonRole.COURIER, Person.active.is_(True)).order_by(Person.code)
    if kecamatan_ids is not None:
        query = query.where(Person.kecamatan_id.in_(list(kecamatan_ids)))
    return session.scalars(query).all()


@dataclass
class StationRoster:
    station: MedicStation
    shifts: list[RosterShift]
    gaps: list[tuple[datetime, datetime]]
    medics: list[Person]


def roster_board(session: Session, day: date, kecamatan_ids: Iterable[int] | None) -> list[StationRoster]:
    query = select(MedicStation).order_by(MedicStation.code)
    if kecamatan_ids is not None:
        query = query.where(MedicStation.kecamatan_id.in_(list(kecamatan_ids)))
    board = []
    for station in session.scalars(query):
        window = opening_window(day, station.hours_from, station.hours_to, station.kecamatan.zone)
        shifts = session.scalars(select(RosterShift).options(joinedload(RosterShift.person)).where(
            RosterShift.medic_station_id == station.id, RosterShift.ends_at > window[0],
            RosterShift.starts_at < window[1]).order_by(RosterShift.starts_at)).all()
        medics = session.scalars(select(Person).where(Person.role == PersonRole.MEDIC, Person.active.is_(True),
                                                      Person.kecamatan_id == station.kecamatan_id)
                                 .order_by(Person.code)).all()
        board.append(StationRoster(station, shifts, coverage_gaps(window, [(s.starts_at, s.ends_at) for s in shifts]),
                                   medics))
    return board


def logistics_checklist(session: Session, kecamatan_ids: Iterable[int] | None,
                        kelurahan_id: int | None = None) -> list[tuple[Tps, list[Delivery]]]:
    """Per TPS, its logistics items: sent (planned), received and damaged, as SILOG records them."""
    query = (select(Delivery).join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .where(Delivery.kind == DeliveryKind.LOGISTICS)
             .options(joinedload(Delivery.tps).joinedload(Tps.kelurahan)).order_by(Tps.code, Delivery.item))
    if kelurahan_id is not None:
        query = query.where(Tps.kelurahan_id == kelurahan_id)
    grouped: dict[int, tuple[Tps, list[Delivery]]] = {}
    for delivery in session.scalars(_in_kecamatan(query, kecamatan_ids)).unique():
        grouped.setdefault(delivery.tps_id, (delivery.tps, []))[1].append(delivery)
    return list(grouped.values())


@dataclass
class OfficerCare:
    person: Person
    screening: HealthScreening | None
    checkins: list[HealthCheckin]


def station_officers(session: Session, station_id: int, tiers: Iterable[RiskTier] = (RiskTier.TINGGI,),
                     day: date | None = None, within: Iterable[int] | None = None) -> list[tuple[Tps, list[OfficerCare]]]:
    """Officers of the TPS this station covers (of those also in `within`, when given) whose latest
    screening is in `tiers`, per TPS, with their check-ins (of `day` only, when given)."""
    tps_ids = tps_covered_by(session, station_id)
    if within is not None:
        narrowed = set(within)
        tps_ids = [i for i in tps_ids if i in narrowed]
    screenings: dict[int, HealthScreening] = {}
    for screening in session.scalars(select(HealthScreening).join(Person).where(Person.tps_id.in_(tps_ids))
                                     .order_by(HealthScreening.screened_at, HealthScreening.id)):
        screenings[screening.person_id] = screening  # the last one wins
    wanted = {pid for pid, s in screenings.items() if s.risk_tier in tuple(tiers)}
    if not wanted:
        return []
    checkin_query = select(HealthCheckin).where(HealthCheckin.person_id.in_(wanted)).order_by(HealthCheckin.due_at)
    if day is not None:
        start, end = day_window(session, day)
        checkin_query = checkin_query.where(HealthCheckin.due_at >= start, HealthCheckin.due_at < end)
    checkins: dict[int, list[HealthCheckin]] = {}
    for checkin in session.scalars(checkin_query):
        checkins.setdefault(checkin.person_id, []).append(checkin)
    people = session.scalars(select(Person).options(joinedload(Person.tps).joinedload(Tps.kelurahan))
                             .where(Person.id.in_(wanted)).order_by(Person.code)).unique().all()
    by_tps: dict[int, tuple[Tps, list[OfficerCare]]] = {}
    for person in people:
        by_tps.setdefault(person.tps_id, (person.tps, []))[1].append(
            OfficerCare(person, screenings[person.id], checkins.get(person.id, [])))
    return sorted(by_tps.values(), key=lambda item: item[0].code)


__all__ = ["couriers", "logistics_checklist", "meal_plan", "roster_board", "station_officers"]
