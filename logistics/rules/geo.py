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


def nearest_many(lats, lons, site_lats, site_lons):
    """For each point, the index of the nearest site and the great-circle distance to it in metres (numpy
    arrays in, numpy arrays out). Points and sites become unit vectors in 3D and the sites a KD-tree: the
    straight chord grows with the great-circle angle, so the nearest by chord is the nearest on the sphere,
    anywhere on Earth (no projection, no UTM zone). Same metric as `haversine_m`."""
    import numpy as np
    from scipy.spatial import cKDTree

    lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    if len(site_lats) == 0 or len(lats) == 0:
        return np.zeros(len(lats), dtype=np.int64), np.full(len(lats), np.inf)
    tree = cKDTree(_unit_vectors(np.asarray(site_lats, dtype=float), np.asarray(site_lons, dtype=float)))
    chord, index = tree.query(_unit_vectors(lats, lons), k=1)
    return index.astype(np.int64), 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(chord / 2, 1.0))


def _unit_vectors(lats, lons):
    import numpy as np

    phi, lam = np.radians(lats), np.radians(lons)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))
