"""Couriers' routes: split a vendor's TPS among its couriers, order each courier's stops by a
nearest-neighbour tour from the kitchen, and estimate arrival times.

Distances are great-circle metres times a detour factor (roads are not straight lines); no road
network is needed, so it works offline for any city.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Hashable

from logistics.rules.geo import haversine_m

SPEED_KMH = 25.0  # a loaded motorbike in city traffic
SERVICE_TIME = timedelta(minutes=5)  # hand over the meals, get a signature
ROAD_DETOUR = 1.3  # road distance / straight-line distance, typical for Indonesian towns
DISPATCH_LEAD = timedelta(minutes=60)  # the kitchen releases a round at least this long before its planned time


@dataclass(frozen=True)
class Stop:
    key: Hashable
    lat: float
    lon: float


def road_metres(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    return haversine_m(a_lat, a_lon, b_lat, b_lon) * ROAD_DETOUR


def sweep_split(depot: Stop, stops: list[Stop], couriers: int) -> list[list[Stop]]:
    """Split stops into `couriers` groups of near-equal size by bearing around the depot (sweep)."""
    if couriers < 1:
        raise ValueError("at least one courier")
    ordered = sorted(stops, key=lambda s: (math.atan2(s.lat - depot.lat, s.lon - depot.lon), str(s.key)))
    return [ordered[i * len(ordered) // couriers:(i + 1) * len(ordered) // couriers] for i in range(couriers)]


def nearest_neighbour_tour(depot: Stop, stops: list[Stop]) -> list[Stop]:
    """Visit the closest unvisited stop next, starting from the depot (ties broken by key)."""
    left = sorted(stops, key=lambda s: str(s.key))
    tour: list[Stop] = []
    here = depot
    while left:
        nxt = min(left, key=lambda s: (road_metres(here.lat, here.lon, s.lat, s.lon), str(s.key)))
        tour.append(nxt)
        left.remove(nxt)
        here = nxt
    return tour


def arrival_times(start: Stop, tour: list[Stop], depart_at: datetime, speed_kmh: float = SPEED_KMH,
                  service: timedelta = SERVICE_TIME) -> list[datetime]:
    """Estimated arrival at each stop of `tour`, leaving `start` at `depart_at`."""
    if speed_kmh <= 0:
        raise ValueError("speed must be positive")
    metres_per_second = speed_kmh * 1000 / 3600
    arrivals = []
    here, clock = start, depart_at
    for i, stop in enumerate(tour):
        if i:
            clock += service  # time spent at the previous stop
        clock += timedelta(seconds=road_metres(here.lat, here.lon, stop.lat, stop.lon) / metres_per_second)
        arrivals.append(clock)
        here = stop
    return arrivals


def release_time(planned: list[datetime], legs: list[timedelta], lead: timedelta = DISPATCH_LEAD) -> datetime:
    """When the kitchen releases a round whose tour reaches its stops `legs` after leaving (in tour order,
    each stop planned at `planned`): `lead` before the earliest planned time, or earlier when the tour needs
    longer to reach every stop by its planned time. A release an hour ahead put the far end of a long tour
    past its planned time before anyone had moved: the plan itself raised "at risk" for every round."""
    return min([min(planned) - lead] + [at - leg for at, leg in zip(planned, legs)])
