"""Distances and nearest-station lookups on plain coordinates."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TypeVar

EARTH_RADIUS_M = 6_371_008.8
K = TypeVar("K")


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres; accurate to ~0.5% anywhere in Indonesia."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def nearest(lat: float, lon: float, candidates: Iterable[tuple[K, float, float]]) -> tuple[K, float] | None:
    """The candidate (key, lat, lon) closest to the point, with its distance in metres."""
    best: tuple[K, float] | None = None
    for key, c_lat, c_lon in candidates:
        d = haversine_m(lat, lon, c_lat, c_lon)
        if best is None or d < best[1]:
            best = (key, d)
    return best
