"""Refreshing `map_grid_cell`: TPS counted per grid cell, per zoom level, per kecamatan (and in total).

One GROUP BY over `tps` at the finest stored zoom (logistics.rules.map_cells.TOP_ZOOM); every coarser
level and the all-kecamatan totals are sums of those rows; then only the rows that differ from the table
are written. All of it in the database (a temporary table), so the process that refreshes holds no cells. The counts are as of the data versions of `tps` and `kelurahan`
read before counting (stored in `map_grid_state.source`): a refresh is skipped when nothing changed.

Several processes and app servers share the table: a refresh is idempotent (it writes what the data
says, whoever runs it) and one runs at a time — PostgreSQL: a transaction-level advisory lock, tried
without waiting (someone else is already counting the same data); SQLite: the database's write lock,
taken first. Run by `flask --app wsgi refresh-map-grid`, by the seeder and by the worker
(`refresh_map_grid` in siaga/worker/jobs.py) after changes to TPS.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import (
    Column, Float, Integer, MetaData, SmallInteger, Table, and_, case, delete, exists, func, insert, literal, select, text,
)
from sqlalchemy.orm import Session

from logistics.election_scope import active_election_id
from logistics.models import Kelurahan, MapGridCell, MapGridState, Tps
from logistics.queries.data_versions import versions
from logistics.queries.map_points import floor_int
from logistics.rules.map_cells import CLOSED, NOT_OPENED, TOP_ZOOM, cell_degrees
from logistics.queries.sql_upsert import upsert_insert
from logistics.timeutil import utcnow

SOURCE_TABLES = ("tps", "kelurahan")
ADVISORY_LOCK_KEY = 7_140_215  # any constant shared by every process of this app


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
    cells = _count_into_new(session, dialect)
    written = _write_changes(session, dialect)
    seconds = time.perf_counter() - started
    if state is None:
        state = MapGridState(id=1)
        session.add(state)
    state.source, state.refreshed_at, state.cells, state.seconds = source, utcnow(), cells, round(seconds, 3)
    session.flush()
    return Refresh(cells=cells, written=written, seconds=seconds)


# The new counts are made in a temporary table, level by level, and compared with the stored ones in SQL:
# at national scale that is ~900,000 cells over 12 levels, which held in Python cost about 1 GB of the
# process that refreshed (measured: 942 MB peak at 820,000 TPS), in whichever app worker won the lock.
_NEW = Table(
    "map_grid_new", MetaData(),
    Column("zoom", SmallInteger), Column("kecamatan_id", Integer), Column("cx", Integer), Column("cy", Integer),
    Column("tps", Integer), Column("opened", Integer), Column("closed", Integer),
    Column("sum_lat", Float), Column("sum_lon", Float),
    prefixes=["TEMPORARY"],
)
_KEY = ("zoom", "kecamatan_id", "cx", "cy")
_FIGURES = ("tps", "opened", "closed", "sum_lat", "sum_lon")


def _count_into_new(session: Session, dialect: str) -> int:
    """Fill `map_grid_new`: the finest level from `tps` (one GROUP BY), the all-kecamatan totals, then each
    coarser level from the one below it (a cell of zoom z is four of z + 1); returns the number of cells."""
    connection = session.connection()
    connection.execute(text("DROP TABLE IF EXISTS map_grid_new"))
    _NEW.create(connection)
    n = _NEW.c
    size = cell_degrees(TOP_ZOOM)
    cx = floor_int((Tps.lon + 180.0) / size, dialect)
    cy = floor_int((Tps.lat + 90.0) / size, dialect)
    opened = func.sum(case((Tps.status.in_(NOT_OPENED), 0), else_=1))
    closed = func.sum(case((Tps.status.in_(CLOSED), 1), else_=0))
    columns = [n[name] for name in _KEY + _FIGURES]
    session.execute(insert(_NEW).from_select(columns, select(
        literal(TOP_ZOOM), Kelurahan.kecamatan_id, cx, cy, func.count(), opened, closed, func.sum(Tps.lat),
        func.sum(Tps.lon)).join(Kelurahan, Kelurahan.id == Tps.kelurahan_id)
        # A Core INSERT ... SELECT: no ORM criteria, so it names the election (the grid counts the active one's TPS).
        .where(Tps.election_id == active_election_id(session)).group_by(Kelurahan.kecamatan_id, cx, cy)))
    sums = [func.sum(n[name]) for name in _FIGURES]
    session.execute(insert(_NEW).from_select(columns, select(literal(TOP_ZOOM), literal(0), n.cx, n.cy, *sums)
                                             .where(n.zoom == TOP_ZOOM).group_by(n.cx, n.cy)))
    for zoom in range(TOP_ZOOM - 1, -1, -1):
        half_x, half_y = n.cx.op(">>")(1), n.cy.op(">>")(1)
        session.execute(insert(_NEW).from_select(columns, select(literal(zoom), n.kecamatan_id, half_x, half_y, *sums)
                                                 .where(n.zoom == zoom + 1).group_by(n.kecamatan_id, half_x, half_y)))
    return session.scalar(select(func.count()).select_from(_NEW))


def _write_changes(session: Session, dialect: str) -> int:
    """Make `map_grid_cell` what `map_grid_new` says, writing only the rows that differ; returns how many."""
    c, n = MapGridCell.__table__.c, _NEW.c
    same_key = and_(*(c[name] == n[name] for name in _KEY))
    gone = session.execute(delete(MapGridCell).where(~exists().where(same_key))).rowcount
    # Sums of coordinates are compared with a tolerance: the same TPS summed in another order differ in
    # the last bits.
    tolerance = 1e-6 * case((n.tps > 1, n.tps), else_=1)
    unchanged = exists().where(same_key, c.tps == n.tps, c.opened == n.opened, c.closed == n.closed,
                               func.abs(c.sum_lat - n.sum_lat) <= tolerance, func.abs(c.sum_lon - n.sum_lon) <= tolerance)
    statement = upsert_insert(dialect)(MapGridCell).from_select([c[name] for name in _KEY + _FIGURES],
                                                select(*(n[name] for name in _KEY + _FIGURES)).where(~unchanged))
    statement = statement.on_conflict_do_update(index_elements=[c[name] for name in _KEY],
                                                set_={name: statement.excluded[name] for name in _FIGURES})
    if dialect == "postgresql":  # psycopg reports no rowcount for INSERT ... SELECT ... ON CONFLICT: count them
        changed = session.scalar(select(func.count()).select_from(statement.returning(literal(1)).cte("written")))
    else:
        changed = session.execute(statement).rowcount
    session.execute(text("DROP TABLE map_grid_new"))
    return gone + changed
