"""SQLite write requests take turns through a file lock before BEGIN IMMEDIATE.

BEGIN IMMEDIATE already makes a second writer wait instead of failing, but SQLite waits by
polling: its busy handler sleeps 1, 2, 5, 10, ... up to 100 ms between tries, so under steady load a
waiting worker oversleeps the lock by tens of milliseconds (measured: p50 140 ms, 48 posts/s with
2 workers; docs/PERFORMANCE.md). A `flock` on a file beside the database, tried every POLL_SECONDS
(0.1 ms), lets the next writer in within a tenth of a millisecond of the previous one's commit; a
blocking flock would be quicker still, but cannot give up after the busy timeout (a thread that holds a
turn and waits for another would hang for ever). The lock is held from BEGIN to COMMIT/ROLLBACK, per
connection; if it cannot be had within the busy timeout the transaction goes ahead anyway and
SQLite's own busy_timeout decides (the lock only orders writers, it never fails a request).
"""
from __future__ import annotations

import contextvars
import fcntl
import os
import time
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import scoped_session

LOCK_KEY = "siaga_write_turn"
_WRITER = contextvars.ContextVar("siaga_sqlite_writer", default=False)
_READING_FIRST = contextvars.ContextVar("siaga_sqlite_reading_first", default=False)


@contextmanager
def as_writer():
    """Code outside a request that writes (the worker's jobs): its transactions begin as a write request's."""
    token = _WRITER.set(True)
    try:
        yield
    finally:
        _WRITER.reset(token)


@contextmanager
def as_reader():
    """Inside a writer (a worker job), transactions that only read — counting the dashboard's figures,
    checking whether anything is due — begin as a read request's: SQLite's write turn is not held while
    they read. End them (commit or roll back) inside the block."""
    token = _WRITER.set(False)
    try:
        yield
    finally:
        _WRITER.reset(token)


def is_writer() -> bool:
    return _WRITER.get()


@contextmanager
def reads_before_the_turn(session, writing: bool = True):
    """A write request's reads that come before its change (the API token's look-up), out of SQLite's write
    turn: on SQLite, when the session has no transaction yet, they run in a deferred (reading) transaction
    that ends — rolled back, it wrote nothing — when the block does, and the request's writes begin after
    it with BEGIN IMMEDIATE as before. The other worker can write meanwhile, so the turn is held only from
    the change's first statement to its commit (docs/PERFORMANCE.md, "What a post costs"). Records loaded
    in the block are expired when it ends: take plain values out of them inside it. PostgreSQL (no turn)
    and a session already in a transaction run the block as it is; so does a read request (`writing` false),
    whose reads go on in the same transaction."""
    if isinstance(session, scoped_session):
        session = session()
    if not writing or session.in_transaction() or session.get_bind().dialect.name != "sqlite":
        yield
        return
    token = _READING_FIRST.set(True)
    try:
        yield
    finally:
        _READING_FIRST.reset(token)
        session.rollback()


POLL_SECONDS = 0.0001  # 0.5 ms before: +5% posts/s with 2 workers (docs/PERFORMANCE.md)


def install(engine: Engine, is_write, timeout_seconds: float) -> None:
    """`is_write()`: whether the transaction being begun is a write request's."""
    path = engine.url.database
    if path in (None, "", ":memory:"):
        @event.listens_for(engine, "begin")
        def _begin_in_memory(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE" if is_write() and not _READING_FIRST.get() else "BEGIN")
        return
    lock_path = path + ".write-turn"

    @event.listens_for(engine, "begin")
    def _begin(connection):
        if _READING_FIRST.get() or not is_write():
            connection.exec_driver_sql("BEGIN")
            return
        _take_turn(connection, lock_path, timeout_seconds)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            _end_turn(connection)
            raise

    for name in ("commit", "rollback"):
        event.listen(engine, name, _end_turn)

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        fd = record.info.pop(LOCK_KEY, None)
        if fd is not None:  # a connection returned mid-transaction (invalidated): free the turn
            _release(fd)


def _take_turn(connection, lock_path: str, timeout_seconds: float) -> None:
    if LOCK_KEY in connection.info:  # the connection's info lives as long as its DBAPI connection
        return
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o660)
    except OSError:  # e.g. made by another user: go without turns, SQLite's busy_timeout still applies
        return
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                return  # go ahead; busy_timeout applies
            time.sleep(POLL_SECONDS)
    connection.info[LOCK_KEY] = fd


def _end_turn(connection) -> None:
    try:
        fd = connection.info.pop(LOCK_KEY, None)
    except Exception:  # noqa: BLE001 - an invalidated connection has no info
        return
    if fd is not None:
        _release(fd)


def _release(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
