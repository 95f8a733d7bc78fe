"""Figures computed once and stored for every process and app server; the worker keeps them fresh.

At national scale one dashboard's aggregates read millions of rows (seconds of database time); the page
refreshes itself every 30 s and many coordinators, on many app servers, watch the same areas. So each
figure is a function registered by name (`@figure("dashboard")`), asked for with keyword arguments
(`shared("dashboard", ids=..., examples=...)`); its value for those arguments is stored in
`figure_snapshot` (as JSON, siaga/figure_codec.py, with the name and arguments), and every process
serves that one snapshot:

* younger than its share time: served as it is. The share time is `FIGURES_SHARE_S` (default 15 s) for a
  kecamatan's figures and `FIGURES_SHARE_WIDE_S` (default 120 s) for a wider scope's (a kab/kota, a
  province, the nation: `@figure(..., wide=...)` says which): those cost the most and change the least
  to the eye, so they are computed less often (both in siaga/config.py);
* older: still served at once, and marked wanted (`wanted_at`, one conditional UPDATE per staleness, so
  many readers cost one write); the worker (`refresh_wanted_figures` in siaga/worker/jobs.py, in every
  worker process: on PostgreSQL each figure claimed by one, `refresh_wanted(claim=True)`) computes the
  wanted ones again by name and stores them. Web workers start no threads;
* missing, or older than `MAX_AGE_FACTOR` times the share time (a scope nobody asked for a while, or the
  worker down): computed in the request, synchronously, and stored. So the pages work without a worker
  (the e2e live server, a worker outage), their figures at most that old.

A figure registered with `together` is computed with its neighbours whenever it is computed (by the
worker or in a request), and each neighbour's snapshot is stored as if it had been computed alone: a
kecamatan's dashboard figures come with those of every kecamatan of its kota and the kota's own
(maps/dashboard.py), one pass for the kota instead of one per kecamatan and one for the kota
(docs/SCALING.md).

0 turns sharing off, as the tests do. The snapshot is read in the request's own transaction; marks and
stores commit on a connection of their own, and if one fails (the database busy) the request still gets
its figures.

`snapshot(name, **params)` is the same with the stored snapshot's identity (its key and when it was
computed) read first and its body only when asked for: a page that keeps what it rendered from one
snapshot (maps/dashboard.py) serves it again, and tags its answer (ETag), without reading the figures.
"""
from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from logistics.election_scope import active_election_id, is_read_only
from logistics.models import FigureSnapshot
from logistics.queries.election_clock import drill_speed
from logistics.queries.sql_upsert import upsert_insert
from logistics.timeutil import utcnow
from siaga import figure_codec
from siaga.config import FIGURES_SHARE_S, FIGURES_SHARE_WIDE_S
from siaga.extensions import db
from siaga.sqlite_writes import as_reader

MAX_AGE_FACTOR = 8
KEEP = timedelta(days=1)  # snapshots of scopes nobody asked for since are deleted
TABLE = FigureSnapshot.__table__
FIGURES: dict[str, Callable[..., Any]] = {}
WIDE: dict[str, Callable[..., bool]] = {}  # figure name -> is this scope wider than a kecamatan?
TOGETHER: dict[str, Callable[..., Any]] = {}  # figure name -> its neighbours computed with it
PASS_OF: dict[str, Callable[..., str | None]] = {}  # figure name -> the name of the pass computing it (`together`)
# A claimed pass (`refresh_wanted(claim=True)`): held until the claiming transaction ends, per schema.
_TRY_PASS = text("SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || ' figure pass ' || :name))")
_MISSING = object()
log = logging.getLogger("siaga.shared_figures")


def figure(name: str, *, wide: Callable[..., bool] | None = None,
           together: Callable[..., list[tuple[dict, Any]] | None] | None = None,
           pass_of: Callable[..., str | None] | None = None):
    """Register `function(**params)` as the figure `name`: what the worker calls to compute it again. It
    runs in an app context without a request, so everything it depends on comes in its params.

    `wide(**params)`: true for a scope wider than a kecamatan, shared for `FIGURES_SHARE_WIDE_S` instead of
    `FIGURES_SHARE_S` (siaga/config.py). `together(**params)`: None, or these figures and their neighbours'
    computed in one pass, as [(params, value)], the asked-for params among them: each is stored.
    `pass_of(**params)`: with `together`, a name for that pass, the same for each figure it computes (None:
    computed alone); worker processes sharing the wanted figures never run one pass at once (`refresh_wanted`)."""
    def register(function):
        if FIGURES.get(name, function) is not function:
            raise ValueError(f"figure {name!r} is registered twice")
        FIGURES[name] = function
        if wide is not None:
            WIDE[name] = wide
        if together is not None:
            TOGETHER[name] = together
        if pass_of is not None:
            PASS_OF[name] = pass_of
        return function
    return register


def share_seconds(wide: bool = False) -> float:
    """How long stored figures are served as they are (0: not stored); `wide`, of a scope wider than a
    kecamatan. While a drill plays (N times faster than real time) a wider scope's time is measured on the
    drill's clock, FIGURES_SHARE_WIDE_S / N, never below a kecamatan's: at 30x, 120 s were an hour of the
    drill's day, the city's dashboard an hour behind its map."""
    config = current_app.config
    base = float(config.get("FIGURES_SHARE_S", 0 if current_app.testing else FIGURES_SHARE_S))
    if not (base and wide):
        return base
    wide_s = float(config.get("FIGURES_SHARE_WIDE_S", FIGURES_SHARE_WIDE_S))
    speed = drill_speed(db.session, utcnow())
    return max(min(base, wide_s), wide_s / speed) if speed and speed > 1 else wide_s


class Snapshot:
    """A figure for some params, as `snapshot()` found it: `identity` names the stored snapshot it comes from
    (its key and computing time: another computation is another identity), "" when the figure was not stored
    (sharing off, a past election browsed, or the store failed); `value` is read and decoded when first used."""

    def __init__(self, identity: str, load: Callable[[], Any]):
        self.identity = identity
        self._load = load

    @functools.cached_property
    def value(self):
        return self._load()


def shared(name: str, **params):
    """The figure `name` for `params` (JSON-able by siaga/figure_codec.py: numbers, strings, dates, tuples).
    A fresh stored figure costs one statement: its computing time and body read together."""
    return _served(name, params, with_body=True).value


def snapshot(name: str, **params) -> Snapshot:
    """`shared(name, **params)` with the identity of the snapshot served, its body read only when its value
    is asked for (the same staleness rules: a stale one is served and marked wanted, a missing or too old one
    computed here, with its neighbours when it has `together`)."""
    return _served(name, params, with_body=False)


def _served(name: str, params: dict, *, with_body: bool) -> Snapshot:
    """The staleness rules, once for `shared` and `snapshot`: the stored snapshot served if younger than
    `MAX_AGE_FACTOR` times its share time (and marked wanted if older than the share time), else computed
    here and stored. `with_body`: its body read with its computing time (one statement, for a reader that
    wants the value), else read when the value is first asked for."""
    compute = FIGURES[name]
    if not share_seconds() or is_read_only(db.session):  # a past election browsed: computed, never stored
        return Snapshot("", lambda: compute(**params))
    ttl = share_seconds(wide=bool(WIDE[name](**params)) if name in WIDE else False)
    encoded = figure_codec.dumps(params)
    # The active election's figures: its id is in the key, so another election's never serve for it.
    election = active_election_id(db.session)
    digest = _key(name, encoded, election)
    columns = (TABLE.c.computed_at, TABLE.c.body) if with_body else (TABLE.c.computed_at,)
    stored = db.session.execute(select(*columns).where(TABLE.c.key == digest)).first()
    if stored is not None:
        computed_at = stored.computed_at
        age = (utcnow() - computed_at).total_seconds()
        if age < ttl * MAX_AGE_FACTOR:
            if age >= ttl:
                _want(digest, computed_at)

            def load():
                # Read lazily, a snapshot stored since its identity was read is newer still: its figures are
                # shown, and the next request finds its identity (a change seen once more, never one missed).
                body = stored.body if with_body else db.session.scalar(select(TABLE.c.body)
                                                                       .where(TABLE.c.key == digest))
                if body is not None:
                    try:
                        return figure_codec.loads(body)
                    except (ValueError, TypeError, KeyError):
                        log.warning("stored figures unreadable; computing them", exc_info=True)
                return _compute_and_store(name, params, encoded, election, digest)[0]

            return Snapshot(_identity(digest, computed_at), load)
    value, _keys, stored_at = _compute_and_store(name, params, encoded, election, digest)
    return Snapshot(_identity(digest, stored_at) if stored_at is not None else "", lambda: value)


def _identity(digest: str, computed_at: datetime) -> str:
    return f"{digest}@{computed_at.isoformat()}"


def _key(name: str, encoded_params: str, election) -> str:
    return hashlib.sha256(f"{name}\n{encoded_params}\n{election}".encode()).hexdigest()


def _compute_and_store(name: str, params: dict, encoded: str, election, key: str | None = None,
                       connection: Connection | None = None) -> tuple[Any, set[str], datetime | None]:
    """The figure computed (with its neighbours, when it has `together`) and stored, under `key` (by default
    the one its name, params and the election make), in a transaction of its own or in `connection`'s (a
    claim's); its value, the keys stored and their computing time as stored (None if the store failed)."""
    key = key or _key(name, encoded, election)
    batch = TOGETHER[name](**params) if name in TOGETHER else None
    value, snapshots = _MISSING, []
    for their_params, their_value in batch or ():
        theirs = figure_codec.dumps(their_params)
        if theirs == encoded:
            value = their_value
        else:
            snapshots.append((_key(name, theirs, election), theirs, their_value))
    if value is _MISSING:  # no neighbours, or not among them after all: computed alone
        value = FIGURES[name](**params)
    snapshots.append((key, encoded, value))
    stored_at = _store(name, snapshots, connection)
    return value, {key for key, _, _ in snapshots}, stored_at


def _want(digest: str, seen_computed_at) -> None:
    """Ask the worker for them again, once per staleness (not on every reader's request)."""
    try:
        with db.engine.begin() as connection:
            connection.execute(update(TABLE).where(
                TABLE.c.key == digest, TABLE.c.computed_at == seen_computed_at,
                or_(TABLE.c.wanted_at.is_(None), TABLE.c.wanted_at < TABLE.c.computed_at)).values(wanted_at=utcnow()))
    except SQLAlchemyError:
        log.warning("could not mark stored figures wanted", exc_info=True)


def _store(name: str, snapshots: list[tuple[str, str, Any]], connection: Connection | None = None
           ) -> datetime | None:
    """Insert or replace the snapshots, (key, params, value) each (two processes storing a new scope at once
    both succeed), and drop those of scopes nobody asked for in a day: in a transaction of its own, or in
    `connection`'s (a savepoint: a failure leaves its transaction usable). Returns their computing time as
    stored, None if not stored."""
    now = utcnow()
    rows = [{"key": key, "figure": name, "params": params, "computed_at": now, "wanted_at": None,
             "body": figure_codec.dumps(value)} for key, params, value in snapshots]
    try:
        if connection is None:
            with db.engine.begin() as own:
                _upsert(own, rows, now)
        else:
            with connection.begin_nested():
                _upsert(connection, rows, now)
    except SQLAlchemyError:
        log.warning("could not store figures", exc_info=True)
        return None
    return now


def _upsert(connection: Connection, rows: list[dict], now: datetime) -> None:
    statement = upsert_insert(connection)(TABLE).values(rows)
    connection.execute(statement.on_conflict_do_update(index_elements=[TABLE.c.key], set_={
        column: statement.excluded[column] for column in ("computed_at", "wanted_at", "body")}))
    connection.execute(delete(TABLE).where(TABLE.c.computed_at < now - KEEP))


def refresh_wanted(claim: bool = False) -> int:
    """Compute again every stored figure a reader found stale since it was computed (the worker's job);
    a figure computed with its neighbours (`together`) stores theirs too, and a wanted neighbour is not
    computed again in the same run. A figure that fails stays wanted and is tried on the next run; one
    whose name is no longer registered is deleted. Returns how many computations were stored.

    `claim` (PostgreSQL, where every worker process runs this job): each figure is claimed before it is
    computed (`_claimed`), so each is computed by one process at a time, one pass (`pass_of`) by one process
    at a time, and the processes share the wanted figures as they share the events (siaga/worker/outbox.py);
    one another process holds is passed over (that process stores it). Without (SQLite's one worker), as
    they come."""
    with as_reader():  # reads: on SQLite the write turn is not held while computing
        wanted = db.session.execute(select(TABLE.c.key, TABLE.c.figure, TABLE.c.params)
                                    .where(TABLE.c.wanted_at >= TABLE.c.computed_at)).all()
        election = active_election_id(db.session)
        db.session.rollback()
    stored, done = 0, set()
    for key, name, params in wanted:
        if key in done:
            continue
        if name not in FIGURES:
            with db.engine.begin() as connection:
                connection.execute(delete(TABLE).where(TABLE.c.key == key))
            continue
        try:
            decoded = figure_codec.loads(params)
            with as_reader(), _claimed(key, name, decoded, claim) as (taken, connection):
                if not taken:
                    continue
                done |= _compute_and_store(name, decoded, params, election, key, connection)[1]
        except Exception:  # noqa: BLE001 - one figure's failure must not keep the others stale
            log.exception("computing figure %s failed", name)
            continue
        finally:
            db.session.rollback()  # each figure reads its own consistent view
        stored += 1
    return stored


@contextmanager
def _claimed(key: str, name: str, params: dict, claim: bool) -> Iterator[tuple[bool, Connection | None]]:
    """(taken, the connection to store on). Without `claim`: taken, stored in a transaction of its own. With:
    on a connection of its own, the figure's row locked if it is still wanted and no other process holds it
    (`FOR NO KEY UPDATE SKIP LOCKED`: readers' reads and marks are not blocked, a claimed row is no longer
    marked), and its pass (`pass_of`) locked if no other process runs it (a transaction-level advisory lock,
    tried); both held until its snapshots are stored on that connection and committed, or rolled back with an
    error, or released with the connection if the process dies. Not taken when either is held elsewhere."""
    if not claim:
        yield True, None
        return
    with db.engine.connect() as connection, connection.begin():
        row = connection.scalar(select(TABLE.c.key)
                                .where(TABLE.c.key == key, TABLE.c.wanted_at >= TABLE.c.computed_at)
                                .with_for_update(skip_locked=True, key_share=True))
        its_pass = PASS_OF[name](**params) if row is not None and name in PASS_OF else None
        if row is None or (its_pass is not None
                           and not connection.scalar(_TRY_PASS, {"name": f"{name}:{its_pass}"})):
            yield False, None
        else:
            yield True, connection


def forget() -> None:
    """Delete every stored snapshot (the benchmark, before measuring the computed path)."""
    with db.engine.begin() as connection:
        connection.execute(delete(TABLE))
