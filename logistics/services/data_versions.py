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
"""
from __future__ import annotations

import random
from functools import lru_cache
from typing import Iterable

from sqlalchemy import TextClause, inspect, text
from sqlalchemy.orm import Session

from logistics.models import DataVersion, MedicStation, Tps
from logistics.services import unit_of_work

# The tables whose changes the map's layers and the live pages show (and what a change implies for derived
# tables).
VERSIONED = frozenset({"tps", "delivery", "health_incident", "medic_station", "person", "health_facility",
                       "kota", "kecamatan", "kelurahan", "tps_coverage",
                       # what values kept per process are made of (logistics/queries/kept.py)
                       "election", "election_setting"})
SHARDS = 8
# Per table, the columns naming the owners a page is scoped to, and each owner kind's letter.
SCOPED: dict[str, tuple[tuple[str, str], ...]] = {
    "tps": (("id", "t"),),
    "delivery": (("tps_id", "t"), ("courier_id", "c")),
    "health_incident": (("tps_id", "t"), ("medic_station_id", "s")),
}
ANY_ROW = "*"


def scoped(table: str, key: str, owner_id: int | str) -> str:
    """The name of the counter of `table`'s rows owned by `owner_id` (key: "t" TPS, "s" station, "c" courier)."""
    return f"{table}@{key}{owner_id}"


def scoped_names(table: str, key: str, owner_id: int | None) -> tuple[str, ...]:
    """What a reader of one owner's rows of `table` reads: the owner's counter and the unknown-rows one
    (no owner: the table's)."""
    if owner_id is None:
        return (table,)
    return (scoped(table, ANY_ROW, ""), scoped(table, key, owner_id))


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
        _noted(session).update((table,), _owner_names(table, record, before or {}))


def _noted(session: Session) -> set[str]:
    return unit_of_work.required(session, "a write around the flush").changes.versions


def _owner_names(table: str, record, before: dict) -> set[str]:
    names = set()
    for column, key in SCOPED.get(table, ()):
        for value in (getattr(record, column, None), before.get(column)):
            if value is not None:
                names.add(scoped(table, key, value))
    return names


def _history_before(record) -> dict:
    """The old values of the owner columns a flush is about to change."""
    state = inspect(record)
    before = {}
    for column, _key in SCOPED.get(record.__table__.name, ()):
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
        names |= _owner_names(obj.__table__.name, obj, {})
    for obj in session.deleted:
        names.add(obj.__table__.name)
        names |= _owner_names(obj.__table__.name, obj, {})
        if isinstance(obj, (Tps, MedicStation)):
            names.add("tps_coverage")  # its rows go with it (ON DELETE CASCADE)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            names.add(obj.__table__.name)
            names |= _owner_names(obj.__table__.name, obj, _history_before(obj))
    return {n for n in names if n.partition("@")[0] in VERSIONED}
