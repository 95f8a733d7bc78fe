"""Data versions: a counter per table that every committed change bumps, in the same transaction.

The map's ETags are made from them (`logistics.queries.data_versions.versions`). A fingerprint such as
"newest updated_at and highest id" misses a deleted row (the known bug: the stations layer kept its
ETag when a TPS was deleted); a counter bumped by the unit of work cannot, and being a row in the
database every process and every app server sees the same value the moment the change commits.

How: a flush hook notes which of the VERSIONED tables the flush adds to, changes or deletes from; just
before the commit the noted counters are bumped — one upsert, names in sorted order (no deadlock
between two transactions), at the very end of the transaction (the row lock is held only for the
commit itself), on one of SHARDS rows picked at random (two writers seldom wait on the same row). Code
that writes around the ORM (bulk COPY in the benchmark, Core upserts of derived tables) calls `touch`.
"""
from __future__ import annotations

import random
from functools import lru_cache
from typing import Iterable

from sqlalchemy import TextClause, event, text
from sqlalchemy.orm import Session

from logistics.models import DataVersion, MedicStation, Tps

# The tables whose changes the map's layers show (and what a change implies for derived tables).
VERSIONED = frozenset({"tps", "delivery", "health_incident", "medic_station", "person", "health_facility",
                       "kota", "kecamatan", "kelurahan", "tps_coverage"})
SHARDS = 8
_TOUCHED = "data_versions_touched"


def touch(session: Session, *names: str) -> None:
    """Note that these tables changed in the session's transaction (bumped when it commits); a table that is
    not VERSIONED has no counter and is left out."""
    session.info.setdefault(_TOUCHED, set()).update(VERSIONED.intersection(names))


def bump(session: Session, names: Iterable[str]) -> None:
    """Bump the counters now, in the session's transaction."""
    names = sorted(set(names))
    if not names:
        return
    session.execute(_bump_statement(len(names)),
                    {**{f"name_{i}": name for i, name in enumerate(names)}, "shard": random.randrange(SHARDS)})


@lru_cache(maxsize=None)
def _bump_statement(rows: int) -> TextClause:
    """The upsert for `rows` names, written once per size with bind parameters: every post runs it. The
    dialects' `insert(...).on_conflict_do_update()` constructs have no cache key, so SQLAlchemy compiled
    them anew for every post, about a third of a post's CPU before this (docs/PERFORMANCE.md); the text,
    the same on PostgreSQL and SQLite, is compiled once."""
    values = ", ".join(f"(:name_{i}, :shard, 1)" for i in range(rows))
    return text(f"INSERT INTO {DataVersion.__tablename__} (name, shard, version) VALUES {values} "
                f"ON CONFLICT (name, shard) DO UPDATE SET version = {DataVersion.__tablename__}.version + 1")


@event.listens_for(Session, "before_flush")
def _note(session: Session, _flush_context, _instances) -> None:
    names = set()
    for obj in session.new:
        names.add(obj.__table__.name)
    for obj in session.deleted:
        names.add(obj.__table__.name)
        if isinstance(obj, (Tps, MedicStation)):
            names.add("tps_coverage")  # its rows go with it (ON DELETE CASCADE)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            names.add(obj.__table__.name)
    if names:
        touch(session, *names)


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    if not session.info.get(_TOUCHED) and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # the commit would flush after this hook: flush now so its changes are noted too
    names = session.info.pop(_TOUCHED, None)
    if names:
        bump(session, names)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None and not transaction.nested:  # the outermost transaction ended
        session.info.pop(_TOUCHED, None)
