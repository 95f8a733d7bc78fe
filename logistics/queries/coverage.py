"""Medic station coverage: each TPS's nearest station and its distance.

Computed with geopandas `sjoin_nearest` in a projected CRS (UTM 48S, EPSG:32748, metres), once per
change of the TPS or station data, never per request: the result is cached per process, keyed by a
cheap fingerprint (row counts and highest ids of TPS; count and newest change of stations).
UTM 48S fits Bangka-Belitung and Sumatra's south; a national deployment needs one zone per region
(or geodesic distances): see docs/ARCHITECTURE.md.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import MedicStation, Tps

PROJECTED_CRS = "EPSG:32748"
RECHECK_SECONDS = 20  # how stale the fingerprint check itself may be


@dataclass(frozen=True)
class Coverage:
    fingerprint: str
    tps_ids: np.ndarray  # sorted
    station_ids: np.ndarray  # nearest station of tps_ids[i]
    distances_m: np.ndarray

    def nearest(self, tps_id: int) -> tuple[int, float] | None:
        i = int(np.searchsorted(self.tps_ids, tps_id))
        if i < len(self.tps_ids) and self.tps_ids[i] == tps_id:
            return int(self.station_ids[i]), float(self.distances_m[i])
        return None

    def per_station(self) -> dict[int, dict]:
        """{station_id: {"tps": how many TPS it is nearest to, "max_m": the farthest of them}}."""
        out: dict[int, dict] = {}
        if len(self.station_ids) == 0:
            return out
        order = np.argsort(self.station_ids, kind="stable")
        ids, starts, counts = np.unique(self.station_ids[order], return_index=True, return_counts=True)
        for sid, start, n in zip(ids, starts, counts):
            chunk = self.distances_m[order[start:start + n]]
            out[int(sid)] = {"tps": int(n), "max_m": float(chunk.max()), "mean_m": float(chunk.mean())}
        return out


def fingerprint(session: Session) -> str:
    tps = session.execute(select(func.count(Tps.id), func.max(Tps.id))).one()
    stations = session.execute(select(func.count(MedicStation.id), func.max(MedicStation.updated_at))).one()
    return f"{tps[0]}:{tps[1]}|{stations[0]}:{stations[1]}"


def compute(session: Session, key: str) -> Coverage:
    import geopandas as gpd

    tps = session.execute(select(Tps.id, Tps.lon, Tps.lat).order_by(Tps.id)).all()
    stations = session.execute(select(MedicStation.id, MedicStation.lon, MedicStation.lat)).all()
    empty = np.array([], dtype=np.int64)
    if not tps or not stations:
        return Coverage(key, empty, empty, np.array([], dtype=float))
    tps_arr, st_arr = np.array(tps, dtype=float), np.array(stations, dtype=float)
    tps_gdf = gpd.GeoDataFrame({"tps_id": tps_arr[:, 0].astype(np.int64)},
                               geometry=gpd.points_from_xy(tps_arr[:, 1], tps_arr[:, 2]), crs="EPSG:4326")
    st_gdf = gpd.GeoDataFrame({"station_id": st_arr[:, 0].astype(np.int64)},
                              geometry=gpd.points_from_xy(st_arr[:, 1], st_arr[:, 2]), crs="EPSG:4326")
    joined = gpd.sjoin_nearest(tps_gdf.to_crs(PROJECTED_CRS), st_gdf.to_crs(PROJECTED_CRS),
                               how="left", distance_col="distance_m")
    joined = joined[~joined.index.duplicated(keep="first")].sort_values("tps_id")  # ties: keep one
    return Coverage(key, joined["tps_id"].to_numpy(np.int64), joined["station_id"].to_numpy(np.int64),
                    joined["distance_m"].to_numpy(float))


SYNC_LIMIT = 50_000  # up to this many TPS the first request waits (~0.1 s); beyond, it runs in the background
_lock = threading.Lock()
_cache: dict[str, object] = {"coverage": None, "checked": 0.0, "db": None, "computing": None}
EMPTY = Coverage("", np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([], dtype=float))


def current_coverage(session: Session) -> Coverage:
    """The cached coverage; a changed fingerprint (checked every ~20 s) triggers a recomputation.

    A city's coverage is computed in the request (a fraction of a second); a country's (~20-50 s at
    820,000 TPS) in a background thread, while requests go on with the previous one (or none yet).
    """
    engine = session.get_bind().engine
    db_key = str(engine.url)
    with _lock:
        cached = _cache["coverage"] if _cache["db"] == db_key else None
        if cached is not None and time.monotonic() - _cache["checked"] < RECHECK_SECONDS:
            return cached
    key = fingerprint(session)
    if cached is not None and cached.fingerprint == key:
        with _lock:
            _cache["checked"] = time.monotonic()
        return cached
    if int(key.split(":", 1)[0]) <= SYNC_LIMIT:
        fresh = compute(session, key)
        with _lock:
            _cache.update(coverage=fresh, checked=time.monotonic(), db=db_key)
        return fresh
    with _lock:
        if _cache["computing"] != (db_key, key):
            _cache["computing"] = (db_key, key)
            threading.Thread(target=_compute_in_background, args=(engine, db_key, key), daemon=True).start()
    return cached or EMPTY


def _compute_in_background(engine, db_key: str, key: str) -> None:
    try:
        with Session(engine) as session:
            fresh = compute(session, key)
        with _lock:
            _cache.update(coverage=fresh, checked=time.monotonic(), db=db_key)
    finally:
        with _lock:
            _cache["computing"] = None


def forget() -> None:
    """Drop the cache (tests that change stations, the benchmark between cities)."""
    with _lock:
        _cache.update(coverage=None, checked=0.0, db=None)


def wait_until_computed(timeout: float = 300.0) -> None:
    """Block until a background computation has finished (the benchmark uses this)."""
    deadline = time.monotonic() + timeout
    while _cache["computing"] is not None and time.monotonic() < deadline:
        time.sleep(0.1)


def tps_covered_by(session: Session, station_id: int) -> list[int]:
    """The TPS whose nearest station is `station_id` (what its medics look after)."""
    coverage = current_coverage(session)
    return [int(t) for t in coverage.tps_ids[coverage.station_ids == station_id]]


def covering_station(session: Session, tps) -> int | None:
    """The station nearest to one TPS; straight from the stations while a large coverage is still computing."""
    found = current_coverage(session).nearest(tps.id)
    if found is not None:
        return found[0]
    from logistics.services.incidents import nearest_station

    station = nearest_station(session, tps.lat, tps.lon)
    return station.id if station else None
