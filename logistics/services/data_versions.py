"""Data versions: a counter per table that every committed change bumps, in the same transaction.

The map's ETags are made from them (`logistics.queries.data_versions.versions`). A fingerprint such as
"newest updated_at and highest id" misses a deleted row (the known bug: the stations layer kept its
ETag when a TPS was deleted); a counter bumped by the unit of work cannot, and being a row in the
database every process and every app server sees the same value the moment the change commits.

How: the unit of work (logistics/services/unit_of_work.py) notes at each flush which of the VERSIONED
tables the flush adds to, changes or deletes from (`flushed`); at its commit the noted counters are
bumped — one upsert, names in sorted order (no deadlock between two transactions), at the very end of
the transaction (the row lock is held only for the commit itself; on PostgreSQL in the commit's one
statement, after the submission's key: logistics/services/commit_writes.py), on one of SHARDS rows picked
at random (two writers seldom wait on the same row). Code that writes around the ORM (Core upserts of
derived tables, the drill's bulk updates) calls `touch`, inside the unit of work like any write.

Scoped versions: a field page shows one owner's rows (a station's incidents, a TPS's deliveries, a
courier's route), and at national scale some row of every table changes every second, so a table's
counter would make every open page download itself again on every poll. A change of a row in
SCOPED therefore also bumps one counter per owner it belongs to, before and after the change
(`scoped(table, key, id)`, "health_incident@s12": station 12), on a fixed shard (one row per owner: its
writers are few). A write whose rows are unknown (`touch` with a table's name: Core bulk updates, the
drill's wipe) bumps "<table>@*" as well, which every scoped reader reads too (`scoped_names`).

Map cells: the coordinators' map layers show the rows drawn in a box, and at the peak some TPS, incident or
delivery changes every second somewhere in the country. So a change of a row drawn on the map also bumps the
counters of the map cells it is drawn in (owner kind "g", POSITION: one square per level of CELL_LEVELS around
the row's position), before and after the change (a TPS moved out of a box bumps the cells it left), and a
layer's tag is the counters of the cells its box covers at the finest level that needs at most MAX_CELLS of
them (`drawn_in`: a kecamatan's view reads a few small cells, a kota's or a province's a few large ones, the
whole country the table's counter). Cells of position, not kecamatan: a layer selects its rows by position (a
TPS's lat/lon, an incident's own position or its TPS's), an incident may have no kecamatan of its own, and an
area's bounding box is NULL until its boundary file is imported and need not hold its TPS' positions; a cell is
computed from the row itself, exact whatever the areas say. Incidents and deliveries are drawn at their TPS's
position when they have none of their own (a delivery always: the meals colour of its TPS): that is looked up
at the flush (in the session first: the posts have the TPS loaded), and a TPS that moves bumps those tables'
cells too (`DRAWN_AT_TPS`). A denormalised cell column would save the look-up but must then follow every TPS
move onto its incidents and deliveries: more to keep true than one look-up.
"""
from __future__ import annotations

import math
import random
from functools import lru_cache
from typing import Iterable

from sqlalchemy import TextClause, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from logistics.models import DataVersion, MedicStation, Tps
from logistics.services import unit_of_work

# The tables whose changes the map's layers and the live pages show (and what a change implies for derived
# tables).
VERSIONED = frozenset({"tps", "delivery", "health_incident", "medic_station", "person", "health_facility",
                       "kota", "kecamatan", "kelurahan", "tps_coverage",
                       # what values kept per process are made of (logistics/queries/kept.py)
                       "election", "election_setting"})
SHARDS = 8
# Per table, the columns naming the owners a page is scoped to, and each owner kind's letter; POSITION: the
# map cell the row is drawn in (`_cells_of`).
POSITION = "(position)"
SCOPED: dict[str, tuple[tuple[str, str], ...]] = {
    "tps": (("id", "t"), (POSITION, "g")),
    "delivery": (("tps_id", "t"), ("courier_id", "c"), (POSITION, "g")),
    "health_incident": (("tps_id", "t"), ("medic_station_id", "s"), (POSITION, "g")),
}
ANY_ROW = "*"
# The map cells' levels, in cells per degree: 0.05° (about 5.5 km: a kecamatan's view covers a few; a dense
# city's kecamatan, one or two) and 0.5° (a kota's or a province's view). A box needing more than MAX_CELLS cells
# of the coarsest level (wider than 4°: the national room) reads the tables' counters: so many names would cost
# the poll more than the changes it would be spared.
CELL_LEVELS = (20, 2)
MAX_CELLS = 64
# Rows drawn at their TPS's position when they have none of their own: a TPS's move moves them on the map.
DRAWN_AT_TPS = ("delivery", "health_incident")
# The columns a row's drawn position is made of (those the table has).
_POSITION_COLUMNS = ("lat", "lon", "tps_id")


def scoped(table: str, key: str, owner_id: int | str) -> str:
    """The name of the counter of `table`'s rows owned by `owner_id` (key: "t" TPS, "s" station, "c" courier, "g"
    map cell)."""
    return f"{table}@{key}{owner_id}"


def scoped_names(table: str, key: str, owner_id: int | None) -> tuple[str, ...]:
    """What a reader of one owner's rows of `table` reads: the owner's counter and the unknown-rows one
    (no owner: the table's)."""
    if owner_id is None:
        return (table,)
    return (scoped(table, ANY_ROW, ""), scoped(table, key, owner_id))


def _corner(value: float, per_degree: int) -> int:
    """A coordinate's cell index: monotonic (a float times a constant, floored), so a point between a box's
    corners is in a cell between the corners' cells."""
    return math.floor(value * per_degree)


def cells(lon: float, lat: float) -> tuple[str, ...]:
    """The map cells of a position, one per level ("<per degree>:<x>_<y>")."""
    return tuple(f"{n}:{_corner(lon, n)}_{_corner(lat, n)}" for n in CELL_LEVELS)


def drawn_in(table: str, box) -> tuple[str, ...]:
    """What a map layer showing `table`'s rows in `box` (min_lon, min_lat, max_lon, max_lat; None: the whole
    map) reads: the counters of the cells the box covers at the finest level that needs at most MAX_CELLS, and
    the unknown-rows one; the table's when no level does."""
    if box is None:
        return (table,)
    for n in CELL_LEVELS:
        xs = range(_corner(box.min_lon, n), _corner(box.max_lon, n) + 1)
        ys = range(_corner(box.min_lat, n), _corner(box.max_lat, n) + 1)
        if len(xs) * len(ys) <= MAX_CELLS:
            return (scoped(table, ANY_ROW, ""), *(scoped(table, "g", f"{n}:{x}_{y}") for x in xs for y in ys))
    return (table,)


def touch(session: Session, *names: str) -> None:
    """Note that these tables changed in the session's transaction (bumped when it commits); a table that is
    not VERSIONED has no counter and is left out. Which rows is not known here: scoped readers of the
    table are told too."""
    names = VERSIONED.intersection(names)
    _noted(session).update(names, (scoped(n, ANY_ROW, "") for n in names if n in SCOPED))


def touch_record(session: Session, record, before: dict | None = None) -> None:
    """Note a change of one row written around the flush (`common.change`): its table and its owners'
    counters, as they are and as they were (`before`: the changed columns' old values)."""
    table = record.__table__.name
    if table in VERSIONED:
        _noted(session).update((table,), _owner_names(session, table, record, before or {}))


def _noted(session: Session) -> set[str]:
    return unit_of_work.required(session, "a write around the flush").changes.versions


def _owner_names(session: Session, table: str, record, before: dict) -> set[str]:
    names, drawn_in = set(), None
    for column, key in SCOPED.get(table, ()):
        if column == POSITION:
            drawn_in = _cells_of(session, table, record, before)
            names.update(scoped(table, key, c) for c in drawn_in)
            continue
        for value in (getattr(record, column, None), before.get(column)):
            if value is not None:
                names.add(scoped(table, key, value))
    if table == "tps" and ("lat" in before or "lon" in before):  # what is drawn at it moved with it
        moved = drawn_in if drawn_in is not None else _cells_of(session, table, record, before)
        names.update(scoped(drawn, "g", c) for drawn in DRAWN_AT_TPS for c in moved)
    return names


def _cells_of(session: Session, table: str, record, before: dict) -> set[str]:
    """The map cells the row is drawn in now and was drawn in before the change (`before`: the changed
    columns' old values): its own position, else (an incident without one, a delivery) its TPS's."""
    now = {name: getattr(record, name, None) for name in _POSITION_COLUMNS if name in record.__table__.c}
    was = {**now, **{name: value for name, value in before.items() if name in now}}
    found = set()
    for values, current in ((now, True),) + (((was, False),) if was != now else ()):
        lat, lon = values.get("lat"), values.get("lon")
        if lat is None or lon is None:
            lat, lon = _tps_position(session, record, values.get("tps_id"), current) or (None, None)
        if lat is not None and lon is not None:
            found.update(cells(lon, lat))
    return found


def _tps_position(session: Session, record, tps_id: int | None, current: bool) -> tuple[float, float] | None:
    """A TPS's (lat, lon) without a statement when the session has it (the row's relationship, set on a new
    row before its tps_id is; or the identity map), else read."""
    loaded = record.__dict__.get("tps") if current else None
    if loaded is not None and (tps_id is None or loaded.id == tps_id):
        return loaded.lat, loaded.lon
    if tps_id is None:
        return None
    tps = session.identity_map.get(identity_key(Tps, tps_id))
    if tps is not None and "lat" in tps.__dict__ and "lon" in tps.__dict__:
        return tps.lat, tps.lon
    table = Tps.__table__  # Core on the connection: no election filter, no autoflush inside the flush
    return session.connection().execute(select(table.c.lat, table.c.lon).where(table.c.id == tps_id)).first()


def _history_before(record) -> dict:
    """The old values of the owner and position columns a flush is about to change."""
    state = inspect(record)
    before = {}
    table = record.__table__
    watched = [column for column, _key in SCOPED.get(table.name, ()) if column != POSITION]
    watched += [name for name in _POSITION_COLUMNS if name in table.c and name not in watched]
    for column in watched:
        deleted = state.attrs[column].history.deleted
        if deleted:
            before[column] = deleted[0]
    return before


def rows_to_bump(names: Iterable[str]) -> tuple[list[str], list[int]]:
    """The counters' rows to bump, in the order every writer bumps them (sorted: no deadlock between two
    transactions): a table's on a random shard, an owner's on shard 0. Names and shards, side by side."""
    names = sorted(set(names))
    shard = random.randrange(SHARDS)
    return names, [0 if "@" in name else shard for name in names]


def bump(session: Session, names: Iterable[str]) -> None:
    """Bump the counters now, in the session's transaction (the unit of work's commit writes them on
    PostgreSQL in its one statement, logistics/services/commit_writes.py)."""
    names, shards = rows_to_bump(names)
    if not names:
        return
    params = {}
    for i, (name, shard) in enumerate(zip(names, shards)):
        params[f"name_{i}"] = name
        params[f"shard_{i}"] = shard
    session.execute(_bump_statement(len(names)), params)


@lru_cache(maxsize=None)
def _bump_statement(rows: int) -> TextClause:
    """The upsert for `rows` names, written once per size with bind parameters: every post runs it. The
    dialects' `insert(...).on_conflict_do_update()` constructs have no cache key, so SQLAlchemy compiled
    them anew for every post, about a third of a post's CPU before this (docs/PERFORMANCE.md); the text,
    the same on PostgreSQL and SQLite, is compiled once."""
    values = ", ".join(f"(:name_{i}, :shard_{i}, 1)" for i in range(rows))
    return text(f"INSERT INTO {DataVersion.__tablename__} (name, shard, version) VALUES {values} "
                f"ON CONFLICT (name, shard) DO UPDATE SET version = {DataVersion.__tablename__}.version + 1")


def flushed(session: Session) -> set[str]:
    """The counters the session's coming flush moves: its new, changed and deleted rows' tables and owners
    (the unit of work calls this before each flush)."""
    names = set()
    for obj in session.new:
        names.add(obj.__table__.name)
        names |= _owner_names(session, obj.__table__.name, obj, {})
    for obj in session.deleted:
        names.add(obj.__table__.name)
        names |= _owner_names(session, obj.__table__.name, obj, {})
        if isinstance(obj, (Tps, MedicStation)):
            names.add("tps_coverage")  # its rows go with it (ON DELETE CASCADE)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            names.add(obj.__table__.name)
            names |= _owner_names(session, obj.__table__.name, obj, _history_before(obj))
    return {n for n in names if n.partition("@")[0] in VERSIONED}
