"""Keeping `tps_coverage` (each TPS's nearest medic station) current.

Coverage is derived data stored in the database, so every app process reads the same answer the moment
the change that caused it commits (no per-process cache, no background thread). It is kept by the unit
of work (logistics/services/unit_of_work.py): before each flush it notes the TPS and medic stations
added, moved or removed — by any service, importer or seeder, all of which write in one — and at its
commit it recomputes, in the same transaction, only the TPS affected:

- a new or moved TPS: itself;
- a new or moved station: the TPS for which it is now nearer than their station (found with a bounding
  box no larger than the farthest current distance, then checked exactly);
- a moved or removed station: the TPS it covered, against the remaining stations.

Writes that bypass the ORM (bulk Core inserts: the benchmark) call `recompute_all`, as does
`flask --app wsgi recompute-coverage`. Distances are great-circle (`logistics.rules.geo.nearest_many`).
"""
from __future__ import annotations

import math

import numpy as np
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.orm import Session

from logistics.election_scope import current_election_id
from logistics.models import MedicStation, Tps, TpsCoverage
from logistics.rules.geo import EARTH_RADIUS_M, nearest_many
from logistics.services.data_versions import touch
from logistics.queries.sql_upsert import upsert_insert
from logistics.timeutil import utcnow

# Above this many TPS to refresh at once (an import of a province), one full recompute is cheaper.
FULL_RECOMPUTE_FROM = 20_000
_IN_CHUNK = 5_000  # ids per IN (...) list
_METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


def recompute_all(session: Session) -> int:
    """Recompute every TPS's coverage; write only what changed. Returns the number of rows written or removed."""
    tps = _fetch(session, f"SELECT id, lat, lon FROM tps WHERE election_id = {_election(session)} ORDER BY id")
    stations = _stations(session)
    if len(stations) == 0 or len(tps) == 0:
        removed = session.execute(delete(TpsCoverage)).rowcount or 0
        if removed:
            touch(session, "tps_coverage")
        return removed
    index, distance = nearest_many(tps[:, 1], tps[:, 2], stations[:, 1], stations[:, 2])
    new_tps, new_station = tps[:, 0].astype(np.int64), stations[index, 0].astype(np.int64)
    have = _fetch(session, "SELECT tps_id, medic_station_id, distance_m FROM tps_coverage "
                  f"WHERE election_id = {_election(session)} ORDER BY tps_id")
    have_tps = have[:, 0].astype(np.int64)
    at = np.minimum(np.searchsorted(have_tps, new_tps), max(len(have_tps) - 1, 0))
    if len(have_tps):
        changed = (have_tps[at] != new_tps) | (have[at, 1].astype(np.int64) != new_station) \
            | (np.abs(have[at, 2] - distance) > 0.01)
    else:
        changed = np.ones(len(new_tps), dtype=bool)
    stale = have_tps[~np.isin(have_tps, new_tps)].tolist()  # safety net: deleted TPS' rows cascade anyway
    rows = (new_tps[changed], new_station[changed], distance[changed])
    if session.get_bind().dialect.name == "postgresql" and len(rows[0]) > _IN_CHUNK:
        _copy_upsert_postgresql(session, *rows, into_empty=len(have_tps) == 0)
    else:
        _upsert(session, list(zip(*(r.tolist() for r in rows))))
    for chunk in _chunks(stale):
        session.execute(delete(TpsCoverage).where(TpsCoverage.tps_id.in_(chunk)))
    written = int(changed.sum()) + len(stale)
    if written:
        touch(session, "tps_coverage")
    return written


def refresh_tps(session: Session, tps_ids) -> None:
    """Recompute the coverage of these TPS (new or moved, or their station moved or went)."""
    tps_ids = sorted(set(tps_ids))
    if not tps_ids:
        return
    if len(tps_ids) >= FULL_RECOMPUTE_FROM:
        recompute_all(session)
        return
    stations = _stations(session)
    if len(stations) == 0:
        for chunk in _chunks(tps_ids):
            session.execute(delete(TpsCoverage).where(TpsCoverage.tps_id.in_(chunk)))
        return
    rows = []
    for chunk in _chunks(tps_ids):
        rows += session.execute(select(Tps.id, Tps.lat, Tps.lon).where(Tps.id.in_(chunk))).all()
    if not rows:
        return
    tps = np.array(rows, dtype=float)
    index, distance = nearest_many(tps[:, 1], tps[:, 2], stations[:, 1], stations[:, 2])
    _upsert(session, list(zip(tps[:, 0].astype(np.int64).tolist(),
                              stations[index, 0].astype(np.int64).tolist(), distance.tolist())))


def station_placed(session: Session, station_id: int, lat: float, lon: float) -> None:
    """A station was added or moved to (lat, lon): it takes over the TPS it is now nearer to. (Every TPS
    has a row whenever a station exists: none at all means this is the first station, which covers all.)"""
    farthest = session.scalar(select(func.max(TpsCoverage.distance_m)))  # the index's last entry
    if farthest is None:
        recompute_all(session)
        return
    # No TPS farther from the station than the farthest current distance can switch to it: a box that size
    # (its east-west side widened for the latitude) on the (lon, lat) index, and in SQL a flat-earth lower
    # bound of the distance (1% slack) against each TPS's own; the few rows left are checked exactly.
    dlat = farthest / _METRES_PER_DEGREE
    cos_lat = max(math.cos(math.radians(min(89.0, abs(lat) + dlat))), 0.01)
    dlon = min(180.0, dlat / cos_lat)
    north = (Tps.lat - lat) * _METRES_PER_DEGREE
    east = (Tps.lon - lon) * (_METRES_PER_DEGREE * cos_lat)
    candidates = session.execute(
        select(Tps.id, Tps.lat, Tps.lon, TpsCoverage.distance_m).join(TpsCoverage, TpsCoverage.tps_id == Tps.id)
        .where(Tps.lon.between(lon - dlon, lon + dlon), Tps.lat.between(lat - dlat, lat + dlat),
               TpsCoverage.medic_station_id != station_id,
               north * north + east * east < TpsCoverage.distance_m * TpsCoverage.distance_m * 1.0201)).all()
    if candidates:
        c = np.array(candidates, dtype=float)
        _, distance = nearest_many(c[:, 1], c[:, 2], [lat], [lon])
        nearer = distance < c[:, 3]
        _upsert(session, [(int(t), station_id, float(d)) for t, d in zip(c[nearer, 0], distance[nearer])])


def covered_tps_ids(session: Session, station_ids) -> list[int]:
    out: list[int] = []
    for chunk in _chunks(sorted(set(station_ids))):
        out += session.scalars(select(TpsCoverage.tps_id).where(TpsCoverage.medic_station_id.in_(chunk))).all()
    return out


# --- kept by the unit of work ----------------------------------------------------------------------------

def _moved(obj) -> bool:
    state = inspect(obj)
    return state.attrs.lat.history.has_changes() or state.attrs.lon.history.has_changes()


def note_changes(session: Session, pending: dict | None) -> dict | None:
    """Before a flush: add what it adds, moves or removes to `pending` (ids of new rows exist only after
    it, so the objects are kept); the coverage rows of a removed or moved station are read now (a removed
    one's go with it, ON DELETE CASCADE)."""
    new_tps = [o for o in session.new if isinstance(o, Tps)]
    moved_tps = [o for o in session.dirty if isinstance(o, Tps) and _moved(o)]
    placed = [o for o in session.new if isinstance(o, MedicStation)]
    moved_stations = [o for o in session.dirty if isinstance(o, MedicStation) and _moved(o)]
    removed = [o.id for o in session.deleted if isinstance(o, MedicStation) and o.id is not None]
    if not (new_tps or moved_tps or placed or moved_stations or removed):
        return pending
    if pending is None:
        pending = {"tps": [], "stations": [], "orphans": set(), "gone": {}}
    pending["tps"] += new_tps + moved_tps
    pending["stations"] += placed + moved_stations
    pending["gone"].update((id(o), o) for o in session.deleted)  # kept alive: their ids stay theirs
    # The TPS a removed or moved station covered need another.
    pending["orphans"].update(covered_tps_ids(session, removed + [o.id for o in moved_stations]))
    return pending


def keep_current(session: Session, pending: dict) -> None:
    """At the commit (after the last flush): recompute the coverage of what `note_changes` noted."""
    touch(session, "tps_coverage")  # bumped with the commit (Core writes are not seen by the flush)
    gone = pending["gone"]
    tps_ids = {o.id for o in pending["tps"] if id(o) not in gone and o.id is not None} | pending["orphans"]
    if len(tps_ids) >= FULL_RECOMPUTE_FROM:
        recompute_all(session)
        return
    refresh_tps(session, tps_ids)
    for station in pending["stations"]:
        if id(station) not in gone and station.id is not None:
            station_placed(session, station.id, station.lat, station.lon)


# --- storage ---------------------------------------------------------------------------------------------

def _stations(session: Session) -> np.ndarray:
    return _fetch(session, f"SELECT id, lat, lon FROM medic_station WHERE election_id = {_election(session)} ORDER BY id")


def _election(session: Session) -> int:
    """The session's election (logistics/election_scope.py): these raw reads and writes name it themselves."""
    return int(current_election_id(session))


def _chunks(ids: list) -> list[list]:
    return [ids[i:i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK)]


def _upsert(session: Session, rows: list[tuple[int, int, float]]) -> None:
    if not rows:
        return
    insert = upsert_insert(session)
    now, election_id = utcnow(), _election(session)
    for i in range(0, len(rows), _IN_CHUNK):
        stmt = insert(TpsCoverage).values([dict(tps_id=t, medic_station_id=s, distance_m=d, computed_at=now,
                                                election_id=election_id)
                                           for t, s, d in rows[i:i + _IN_CHUNK]])
        session.execute(stmt.on_conflict_do_update(index_elements=[TpsCoverage.tps_id], set_=dict(
            medic_station_id=stmt.excluded.medic_station_id, distance_m=stmt.excluded.distance_m,
            computed_at=stmt.excluded.computed_at)))


def _fetch(session: Session, sql: str) -> np.ndarray:
    """Rows of numbers as a float array, through the DBAPI cursor (ORM rows cost ~1 s per million)."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql)
        return np.array(cursor.fetchall(), dtype=float).reshape(-1, 3)
    finally:
        cursor.close()


def _copy_upsert_postgresql(session: Session, tps_ids, station_ids, distances, *, into_empty: bool) -> None:
    """Many rows (a first fill, a national re-import): COPY straight into an empty table; else into a
    temporary table, then one upsert."""
    import pandas as pd

    now, election_id = utcnow(), _election(session)
    frame = pd.DataFrame({"t": tps_ids, "s": station_ids, "d": np.round(distances, 3)})
    raw = session.connection().connection.driver_connection
    if into_empty:
        frame["at"] = now.isoformat()
        frame["e"] = election_id
        with raw.cursor() as cur, cur.copy(
                "COPY tps_coverage (tps_id, medic_station_id, distance_m, computed_at, election_id) FROM STDIN") as copy:
            copy.write(frame.to_csv(sep="\t", header=False, index=False))
        return
    text_rows = frame.to_csv(sep="\t", header=False, index=False)
    with raw.cursor() as cur:
        cur.execute("CREATE TEMP TABLE coverage_new (tps_id integer, medic_station_id integer,"
                    " distance_m double precision) ON COMMIT DROP")
        with cur.copy("COPY coverage_new FROM STDIN") as copy:
            copy.write(text_rows)
        cur.execute("INSERT INTO tps_coverage (tps_id, medic_station_id, distance_m, computed_at, election_id)"
                    " SELECT tps_id, medic_station_id, distance_m, %s, %s FROM coverage_new"
                    " ON CONFLICT (tps_id) DO UPDATE SET medic_station_id = excluded.medic_station_id,"
                    " distance_m = excluded.distance_m, computed_at = excluded.computed_at", (now, election_id))
        cur.execute("DROP TABLE coverage_new")
