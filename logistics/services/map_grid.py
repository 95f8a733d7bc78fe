"""Refreshing `map_grid_cell`: TPS counted per grid cell, per zoom level, per kecamatan (and in total).

One GROUP BY over `tps` at the finest stored zoom (logistics.rules.map_cells.TOP_ZOOM), in SQL; every
coarser level and the all-kecamatan totals are sums of those rows, made in Python; then only the rows
that differ from the table are written. The counts are as of the data versions of `tps` and `kelurahan`
read before counting (stored in `map_grid_state.source`): a refresh is skipped when nothing changed.

Several processes and app servers share the table: a refresh is idempotent (it writes what the data
says, whoever runs it) and one runs at a time — PostgreSQL: a transaction-level advisory lock, tried
without waiting (someone else is already counting the same data); SQLite: the database's write lock,
taken first. Run by `flask --app wsgi refresh-map-grid` and by the app's background refresher
(maps/grid_refresher.py) after changes to TPS.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from logistics.models import Kelurahan, MapGridCell, MapGridState, Tps
from logistics.queries.data_versions import versions
from logistics.queries.map_points import floor_int
from logistics.rules.map_cells import CLOSED, NOT_OPENED, TOP_ZOOM, cell_degrees
from logistics.timeutil import utcnow

SOURCE_TABLES = ("tps", "kelurahan")
ADVISORY_LOCK_KEY = 7_140_215  # any constant shared by every process of this app
_BATCH = 5_000


@dataclass(frozen=True)
class Refresh:
    cells: int  # rows in the table now
    written: int  # rows inserted, changed or removed
    seconds: float


def source_version(session: Session) -> str:
    return versions(session, *SOURCE_TABLES)


def refresh(session: Session, *, force: bool = False) -> Refresh | None:
    """Count the cells again if TPS changed since the last count (or `force`). None: nothing to do, or
    another process is counting right now. The caller commits."""
    started = time.perf_counter()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}):
            return None
    else:  # a write first: the transaction takes the write lock now (waiting busy_timeout), before reading
        session.execute(text("UPDATE map_grid_state SET id = id WHERE id = 1"))
    source = source_version(session)
    state = session.get(MapGridState, 1)
    if state is not None and state.source == source and not force:
        return None
    new = _count(session, dialect)
    written = _write_changes(session, new)
    seconds = time.perf_counter() - started
    if state is None:
        state = MapGridState(id=1)
        session.add(state)
    state.source, state.refreshed_at, state.cells, state.seconds = source, utcnow(), len(new), round(seconds, 3)
    session.flush()
    return Refresh(cells=len(new), written=written, seconds=seconds)


def _count(session: Session, dialect: str) -> dict[tuple, list]:
    size = cell_degrees(TOP_ZOOM)
    cx = floor_int((Tps.lon + 180.0) / size, dialect)
    cy = floor_int((Tps.lat + 90.0) / size, dialect)
    opened = func.sum(case((Tps.status.in_(NOT_OPENED), 0), else_=1))
    closed = func.sum(case((Tps.status.in_(CLOSED), 1), else_=0))
    rows = session.execute(
        select(Kelurahan.kecamatan_id, cx, cy, func.count(), opened, closed, func.sum(Tps.lat), func.sum(Tps.lon))
        .join(Kelurahan, Kelurahan.id == Tps.kelurahan_id).group_by(Kelurahan.kecamatan_id, cx, cy)).all()
    level: dict[tuple, list] = {}
    for kec, x, y, n, o, c, slat, slon in rows:
        level[(kec, x, y)] = [n, int(o or 0), int(c or 0), float(slat), float(slon)]
        _add(level, (0, x, y), level[(kec, x, y)])
    cells = {(TOP_ZOOM, *key): value for key, value in level.items()}
    for zoom in range(TOP_ZOOM - 1, -1, -1):  # each level from the one below it
        coarser: dict[tuple, list] = {}
        for (kec, x, y), value in level.items():
            _add(coarser, (kec, x >> 1, y >> 1), value)
        cells.update({(zoom, *key): value for key, value in coarser.items()})
        level = coarser
    return cells


def _add(into: dict, key: tuple, value: list) -> None:
    have = into.get(key)
    if have is None:
        into[key] = list(value)
    else:
        for i in range(5):
            have[i] += value[i]


def _same(a, b) -> bool:
    return a[:3] == b[:3] and abs(a[3] - b[3]) <= 1e-6 * max(1, a[0]) and abs(a[4] - b[4]) <= 1e-6 * max(1, a[0])


def _write_changes(session: Session, new: dict[tuple, list]) -> int:
    c = MapGridCell
    # Through the DBAPI cursor: ORM rows cost ~10x more, and the table holds tens of thousands of rows.
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute("SELECT zoom, kecamatan_id, cx, cy, tps, opened, closed, sum_lat, sum_lon FROM map_grid_cell")
        have = {(r[0], r[1], r[2], r[3]): list(r[4:]) for r in cursor.fetchall()}
    finally:
        cursor.close()
    gone = [key for key in have if key not in new]
    changed = [(key, value) for key, value in new.items() if key not in have or not _same(value, have[key])]
    for start in range(0, len(gone), _BATCH):
        session.execute(text("DELETE FROM map_grid_cell WHERE zoom = :z AND kecamatan_id = :k AND cx = :x AND cy = :y"),
                        [{"z": z, "k": k, "x": x, "y": y} for z, k, x, y in gone[start:start + _BATCH]])
    if changed:
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(c)
        stmt = stmt.on_conflict_do_update(index_elements=[c.zoom, c.kecamatan_id, c.cx, c.cy], set_={
            name: getattr(stmt.excluded, name) for name in ("tps", "opened", "closed", "sum_lat", "sum_lon")})
        for start in range(0, len(changed), _BATCH):
            session.execute(stmt, [
                {"zoom": z, "kecamatan_id": k, "cx": x, "cy": y, "tps": v[0], "opened": v[1], "closed": v[2],
                 "sum_lat": v[3], "sum_lon": v[4]} for (z, k, x, y), v in changed[start:start + _BATCH]])
    return len(gone) + len(changed)
