"""Figures computed once and stored for every process and app server, refreshed in the background.

At national scale one dashboard's aggregates read millions of rows (seconds of database time); the page
refreshes itself every 30 s and many coordinators, on many app servers, watch the same areas. So the
figures of a scope are computed by one process and stored in `figure_snapshot` (as JSON,
siaga/figure_codec.py), and every process serves that one snapshot:

* younger than `FIGURES_SHARE_S` (default 15 s): served as they are;
* older: still served at once, while the one process that claims the refresh (a conditional UPDATE of
  `refresh_claimed_until`, so one claimant across all servers) computes them again in a background
  thread; the page shows when they were computed;
* missing, or older than `MAX_AGE_FACTOR` times the share time (nobody asked for a while, or refreshes
  keep failing): computed in the request and stored.

0 turns sharing off, as the tests do. The snapshot is read in the request's own transaction; claims and
stores commit on a connection of their own, and if one fails (the database busy) the request still gets
its figures, computed.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from logistics.models import FigureSnapshot
from logistics.queries.sql_upsert import upsert_insert
from logistics.timeutil import utcnow
from siaga import figure_codec
from siaga.extensions import db

T = TypeVar("T")
SHARE_S = 15
MAX_AGE_FACTOR = 8
CLAIM_S = 120  # a refresh not stored by then is taken as dead: another process may claim it
KEEP = timedelta(days=1)  # snapshots of scopes nobody asked for since are deleted
TABLE = FigureSnapshot.__table__
log = logging.getLogger("siaga.shared_figures")


def share_seconds() -> float:
    return float(current_app.config.get("FIGURES_SHARE_S", 0 if current_app.testing else SHARE_S))


def shared(key: tuple, compute: Callable[[], T]) -> T:
    """The figures `compute()` returns for `key` (what they are for: view, day, scope...), shared."""
    ttl = share_seconds()
    if not ttl:
        return compute()
    digest = hashlib.sha256(repr(key).encode()).hexdigest()
    stored = _read(digest)
    if stored is not None:
        computed_at, body = stored
        age = (utcnow() - computed_at).total_seconds()
        if age < ttl * MAX_AGE_FACTOR:
            if age >= ttl and _claim(digest, computed_at):
                app = current_app._get_current_object()
                threading.Thread(target=_refresh, args=(app, digest, compute), daemon=True,
                                 name="shared-figures").start()
            try:
                return figure_codec.loads(body)
            except (ValueError, TypeError, KeyError):
                log.warning("stored figures unreadable; computing them", exc_info=True)
    value = compute()
    _store(digest, value)
    return value


def _read(digest: str):
    return db.session.execute(select(TABLE.c.computed_at, TABLE.c.body).where(TABLE.c.key == digest)).first()


def _claim(digest: str, seen_computed_at) -> bool:
    """Whether this process refreshes the snapshot: only if nobody else is, and nobody has since."""
    now = utcnow()
    try:
        with db.engine.begin() as connection:
            return connection.execute(
                update(TABLE).where(TABLE.c.key == digest, TABLE.c.computed_at == seen_computed_at,
                                    or_(TABLE.c.refresh_claimed_until.is_(None), TABLE.c.refresh_claimed_until < now))
                .values(refresh_claimed_until=now + timedelta(seconds=CLAIM_S))).rowcount == 1
    except SQLAlchemyError:
        log.warning("could not claim a refresh of stored figures", exc_info=True)
        return False


def _store(digest: str, value) -> None:
    """Insert or replace the snapshot (two processes storing a new scope at once both succeed), and drop
    those of scopes nobody asked for in a day."""
    body = figure_codec.dumps(value)
    now = utcnow()
    try:
        with db.engine.begin() as connection:
            statement = upsert_insert(connection)(TABLE).values(key=digest, computed_at=now, refresh_claimed_until=None,
                                                                 body=body)
            connection.execute(statement.on_conflict_do_update(index_elements=[TABLE.c.key], set_={
                name: statement.excluded[name] for name in ("computed_at", "refresh_claimed_until", "body")}))
            connection.execute(delete(TABLE).where(TABLE.c.computed_at < now - KEEP))
    except SQLAlchemyError:
        log.warning("could not store figures", exc_info=True)


def _refresh(app, digest: str, compute: Callable) -> None:
    try:
        with app.app_context():
            _store(digest, compute())
    except Exception:  # noqa: BLE001  (the claim lapses after CLAIM_S; the last figures stay meanwhile)
        log.exception("refreshing shared figures failed")


def forget() -> None:
    """Delete every stored snapshot (the benchmark, before measuring the computed path)."""
    with db.engine.begin() as connection:
        connection.execute(delete(TABLE))
