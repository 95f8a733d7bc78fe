"""Keep each courier's tour and ETAs current: after planning, and after every courier step."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.models import Delivery, DeliveryKind, MealRound, Vendor
from logistics.rules.lifecycles.delivery import REACHED
from logistics.rules.routing import SERVICE_TIME, Stop, arrival_times, nearest_neighbour_tour, release_time
from logistics.queries.zones import day_window


@dataclass(frozen=True)
class RoundPlan:
    """A courier's round as planned, before anyone moves: its stops in the tour's order from the kitchen,
    each with the time it takes to reach it from leaving (`legs`), and when the kitchen releases it."""

    stops: list[Delivery]
    legs: list[timedelta]
    release: datetime


def _round_stops(session: Session, courier_id: int, meal_round: MealRound, day: date) -> list[Delivery]:
    start, end = day_window(session, day)
    return session.scalars(select(Delivery).where(
        Delivery.courier_id == courier_id, Delivery.kind == DeliveryKind.MEAL, Delivery.meal_round == meal_round,
        Delivery.planned_at >= start, Delivery.planned_at < end).order_by(Delivery.id)).all()


def _kitchen(session: Session, stops: list[Delivery]) -> Stop:
    vendor = session.get(Vendor, stops[0].vendor_id) if stops[0].vendor_id else None
    return Stop("kitchen", vendor.kitchen_lat, vendor.kitchen_lon) if vendor else \
        Stop("first", stops[0].tps.lat, stops[0].tps.lon)


def _tour(origin: Stop, stops: list[Delivery]) -> tuple[list[Delivery], list[timedelta]]:
    """`stops` toured nearest-neighbour from `origin`, each with the time from leaving `origin`."""
    by_key = {d.id: d for d in stops}
    tour = nearest_neighbour_tour(origin, [Stop(d.id, d.tps.lat, d.tps.lon) for d in stops])
    legs = [eta - datetime.min for eta in arrival_times(origin, tour, datetime.min)]
    return [by_key[stop.key] for stop in tour], legs


def planned_round(session: Session, courier_id: int, meal_round: MealRound, day: date) -> RoundPlan | None:
    """The round as planned, whatever has happened to it since (the drill plays it: logistics/drill)."""
    stops = _round_stops(session, courier_id, meal_round, day)
    if not stops:
        return None
    toured, legs = _tour(_kitchen(session, stops), stops)
    return RoundPlan(toured, legs, release_time([d.planned_at for d in toured], legs))


def refresh_route(session: Session, courier_id: int, meal_round: MealRound, day: date) -> list[Delivery]:
    """Re-order the courier's open stops of one round and re-estimate their arrival times.

    Finished stops keep their place; the rest are toured nearest-neighbour from where the courier
    last was (the last finished stop, or the vendor's kitchen) from when they were there.
    Flushes, does not commit: callers own the transaction.
    """
    stops = _round_stops(session, courier_id, meal_round, day)
    if not stops:
        return []
    finished = sorted((d for d in stops if d.status in REACHED), key=lambda d: d.reached_at)
    open_stops = [d for d in stops if d.status not in REACHED]
    if finished:
        last = finished[-1]
        origin = Stop("last", last.tps.lat, last.tps.lon)
        depart = last.reached_at + SERVICE_TIME
    else:
        origin = _kitchen(session, open_stops)
        dispatched = [d.dispatched_at for d in open_stops if d.dispatched_at]
        depart = min(dispatched) if dispatched else None
    for seq, delivery in enumerate(finished, start=1):
        delivery.route_seq = seq
    toured, legs = _tour(origin, open_stops)
    if depart is None:  # not on its way yet: the plan's release, early enough for the tour (routing.release_time)
        depart = release_time([d.planned_at for d in toured], legs)
    for seq, (delivery, leg) in enumerate(zip(toured, legs), start=len(finished) + 1):
        delivery.route_seq = seq
        delivery.eta_at = depart + leg
    session.flush()
    return sorted(stops, key=lambda d: d.route_seq)
