"""Keep each courier's tour and ETAs current: after planning, and after every courier step."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.models import Delivery, DeliveryKind, MealRound, Vendor
from logistics.rules.lifecycles.delivery import REACHED
from logistics.rules.routing import SERVICE_TIME, Stop, arrival_times, nearest_neighbour_tour, release_time
from logistics.queries.zones import day_window


def refresh_route(session: Session, courier_id: int, meal_round: MealRound, day: date) -> list[Delivery]:
    """Re-order the courier's open stops of one round and re-estimate their arrival times.

    Finished stops keep their place; the rest are toured nearest-neighbour from where the courier
    last was (the last finished stop, or the vendor's kitchen) from when they were there.
    Flushes, does not commit: callers own the transaction.
    """
    start, end = day_window(session, day)
    stops = session.scalars(select(Delivery).where(
        Delivery.courier_id == courier_id, Delivery.kind == DeliveryKind.MEAL, Delivery.meal_round == meal_round,
        Delivery.planned_at >= start, Delivery.planned_at < end)).all()
    if not stops:
        return []
    finished = sorted((d for d in stops if d.status in REACHED), key=lambda d: d.reached_at)
    open_stops = [d for d in stops if d.status not in REACHED]
    vendor = session.get(Vendor, stops[0].vendor_id) if stops[0].vendor_id else None
    if finished:
        last = finished[-1]
        origin = Stop("last", last.tps.lat, last.tps.lon)
        depart = last.reached_at + SERVICE_TIME
    else:
        origin = Stop("kitchen", vendor.kitchen_lat, vendor.kitchen_lon) if vendor else \
            Stop("first", open_stops[0].tps.lat, open_stops[0].tps.lon)
        dispatched = [d.dispatched_at for d in open_stops if d.dispatched_at]
        depart = min(dispatched) if dispatched else None
    for seq, delivery in enumerate(finished, start=1):
        delivery.route_seq = seq
    by_key = {d.id: d for d in open_stops}
    tour = nearest_neighbour_tour(origin, [Stop(d.id, d.tps.lat, d.tps.lon) for d in open_stops])
    legs = [eta - datetime.min for eta in arrival_times(origin, tour, datetime.min)]  # from leaving `origin`
    if depart is None:  # not on its way yet: the plan's release, early enough for the tour (routing.release_time)
        depart = release_time([by_key[stop.key].planned_at for stop in tour], legs)
    for seq, (stop, leg) in enumerate(zip(tour, legs), start=len(finished) + 1):
        by_key[stop.key].route_seq = seq
        by_key[stop.key].eta_at = depart + leg
    session.flush()
    return sorted(stops, key=lambda d: d.route_seq)
