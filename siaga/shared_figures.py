"""Figures computed once and stored for every process and app server; the worker keeps them fresh.

At national scale one dashboard's aggregates read millions of rows (seconds of database time); the page
refreshes itself every 30 s and many coordinators, on many app servers, watch the same areas. So each
figure is a function registered by name (`@figure("dashboard")`), asked for with keyword arguments
(`shared("dashboard", ids=..., examples=...)`); its value for those arguments is stored in
`figure_snapshot` (as JSON, siaga/figure_codec.py, with the name and arguments), and every process
serves that one snapshot:

* younger than `FIGURES_SHARE_S` (default 15 s): served as it is;
* older: still served at once, and marked wanted (`wanted_at`, one conditional UPDATE per staleness, so
  many readers cost one write); the worker (`refresh_wanted_figures` in siaga/worker/jobs.py) computes
  the wanted ones again by name and stores them. Web workers start no threads;
* missing, or older than `MAX_AGE_FACTOR` times the share time (a scope nobody asked for a while, or the
  worker down): computed in the request, synchronously, and stored. So the pages work without a worker
  (the e2e live server, a worker outage), their figures at most that old.

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
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from logistics.election_scope import active_election_id, is_read_only
from logistics.models import FigureSnapshot
from logistics.queries.sql_upsert import upsert_insert
from logistics.timeutil import utcnow
from siaga import figure_codec
from siaga.extensions import db
from siaga.sqlite_writes import as_reader

SHARE_S = 15
MAX_AGE_FACTOR = 8
KEEP = timedelta(days=1)  # snapshots of scopes nobody asked for since are deleted
TABLE = FigureSnapshot.__table__
FIGURES: dict[str, Callable[..., Any]] = {}
log = logging.getLogger("siaga.shared_figures")


def figure(name: str):
    """Register `function(**params)` as the figure `name`: what the worker calls to compute it again. It
    runs in an app context without a request, so everything it depends on comes in its params."""
    def register(function):
        if FIGURES.get(name, function) is not function:
            raise ValueError(f"figure {name!r} is registered twice")
        FIGURES[name] = function
        return function
    return register


def share_seconds() -> float:
    return float(current_app.config.get("FIGURES_SHARE_S", 0 if current_app.testing else SHARE_S))


def shared(name: str, **params):
    """The figure `name` for `params` (JSON-able by siaga/figure_codec.py: numbers, strings, dates, tuples)."""
    compute = FIGURES[name]
    ttl = share_seconds()
    if not ttl or is_read_only(db.session):  # a past election browsed: its figures are computed, never stored
        return compute(**params)
    encoded = figure_codec.dumps(params)
    digest = _digest(name, encoded)
    stored = _read(digest)
    if stored is not None:
        computed_at, body = stored
        age = (utcnow() - computed_at).total_seconds()
        if age < ttl * MAX_AGE_FACTOR:
            if age >= ttl:
                _want(digest, computed_at)
            try:
                return figure_codec.loads(body)
            except (ValueError, TypeError, KeyError):
                log.warning("stored figures unreadable; computing them", exc_info=True)
    value = compute(**params)
    _store(digest, name, encoded, value)
    return value


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


def snapshot(name: str, **params) -> Snapshot:
    """`shared(name, **params)` with the identity of the snapshot served, its body read only when its value
    is asked for (the same staleness rules: a stale one is served and marked wanted, a missing or too old one
    computed here)."""
    compute = FIGURES[name]
    ttl = share_seconds()
    if not ttl or is_read_only(db.session):
        return Snapshot("", lambda: compute(**params))
    encoded = figure_codec.dumps(params)
    digest = _digest(name, encoded)
    computed_at = db.session.scalar(select(TABLE.c.computed_at).where(TABLE.c.key == digest))
    if computed_at is not None:
        age = (utcnow() - computed_at).total_seconds()
        if age < ttl * MAX_AGE_FACTOR:
            if age >= ttl:
                _want(digest, computed_at)

            def load():
                # A snapshot stored since its identity was read is newer still: its figures are shown, and the
                # next request finds its identity (a change seen once more, never one missed).
                body = db.session.scalar(select(TABLE.c.body).where(TABLE.c.key == digest))
                if body is not None:
                    try:
                        return figure_codec.loads(body)
                    except (ValueError, TypeError, KeyError):
                        log.warning("stored figures unreadable; computing them", exc_info=True)
                value = compute(**params)
                _store(digest, name, encoded, value)
                return value

            return Snapshot(_identity(digest, computed_at), load)
    value = compute(**params)
    stored_at = _store(digest, name, encoded, value)
    return Snapshot(_identity(digest, stored_at) if stored_at is not None else "", lambda: value)


def _digest(name: str, encoded: str) -> str:
    # The active election's figures: its id is in the key, so another election's never serve for it.
    election = active_election_id(db.session)
    return hashlib.sha256(f"{name}\n{encoded}\n{election}".encode()).hexdigest()


def _identity(digest: str, computed_at: datetime) -> str:
    return f"{digest}@{computed_at.isoformat()}"


def _read(digest: str):
    return db.session.execute(select(TABLE.c.computed_at, TABLE.c.body).where(TABLE.c.key == digest)).first()


def _want(digest: str, seen_computed_at) -> None:
    """Ask the worker for them again, once per staleness (not on every reader's request)."""
    try:
        with db.engine.begin() as connection:
            connection.execute(update(TABLE).where(
                TABLE.c.key == digest, TABLE.c.computed_at == seen_computed_at,
                or_(TABLE.c.wanted_at.is_(None), TABLE.c.wanted_at < TABLE.c.computed_at)).values(wanted_at=utcnow()))
    except SQLAlchemyError:
        log.warning("could not mark stored figures wanted", exc_info=True)


def _store(digest: str, name: str, params: str, value) -> datetime | None:
    """Insert or replace the snapshot (two processes storing a new scope at once both succeed), and drop
    those of scopes nobody asked for in a day. Returns its computing time as stored, None if not stored."""
    body = figure_codec.dumps(value)
    now = utcnow()
    try:
        with db.engine.begin() as connection:
            statement = upsert_insert(connection)(TABLE).values(key=digest, figure=name, params=params,
                                                                 computed_at=now, wanted_at=None, body=body)
            connection.execute(statement.on_conflict_do_update(index_elements=[TABLE.c.key], set_={
                column: statement.excluded[column] for column in ("computed_at", "wanted_at", "body")}))
            connection.execute(delete(TABLE).where(TABLE.c.computed_at < now - KEEP))
    except SQLAlchemyError:
        log.warning("could not store figures", exc_info=True)
        return None
    return now


def refresh_wanted() -> int:
    """Compute again every stored figure a reader found stale since it was computed (the worker's job).
    A figure that fails stays wanted and is tried on the next run; one whose name is no longer registered
    is deleted. Returns how many were stored."""
    with as_reader():  # reads: on SQLite the write turn is not held while computing
        wanted = db.session.execute(select(TABLE.c.key, TABLE.c.figure, TABLE.c.params)
                                    .where(TABLE.c.wanted_at >= TABLE.c.computed_at)).all()
        db.session.rollback()
    stored = 0
    for key, name, params in wanted:
        compute = FIGURES.get(name)
        if compute is None:
            with db.engine.begin() as connection:
                connection.execute(delete(TABLE).where(TABLE.c.key == key))
            continue
        try:
            with as_reader():
                value = compute(**figure_codec.loads(params))
        except Exception:  # noqa: BLE001 - one figure's failure must not keep the others stale
            log.exception("computing figure %s failed", name)
            continue
        finally:
            db.session.rollback()  # each figure reads its own consistent view
        _store(key, name, params, value)
        stored += 1
    return stored


def forget() -> None:
    """Delete every stored snapshot (the benchmark, before measuring the computed path)."""
    with db.engine.begin() as connection:
        connection.execute(delete(TABLE))
