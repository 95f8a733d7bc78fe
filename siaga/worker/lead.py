"""How many worker processes a deployment runs, and which of them runs its scheduled work.

On PostgreSQL any number of worker processes, on any machines, deliver the outbox together (each pass locks
the events it takes, `FOR NO KEY UPDATE SKIP LOCKED`: siaga/worker/outbox.py) and recompute the wanted
stored figures together (each claimed by one: siaga/shared_figures.py `refresh_wanted`). The scheduled work
— the alert scan, the map's grid, the drill, the situation reports, the login cards, the SMS replies — runs in one of them at a time: the holder of a session-level advisory lock (`pg_try_advisory_lock`)
taken on a connection of its own, kept open for the process's life. PostgreSQL releases the lock when that
connection ends, the process killed -9 included (its socket closes with it), and every other worker tries
to take it every WORKER_LEAD_CHECK_S, so the scheduled work moves to another process within about that.
The lock's key is this name and the schema's (`current_schema()`), hashed: one lead per deployment's
tables, even with several deployments (or test schemas) in one database.

The holder checks its connection every WORKER_LEAD_CHECK_S; should the connection break between two checks
(the database failed over), another process may take the lead before the old holder notices, and for at
most that long both may start a scheduled job. Deliveries stay at most once (the ledger); other work (a
drill's step, a situation report) could then be done twice, never lost.

On SQLite a deployment has one worker process: a second is refused (an exclusive lock on a file beside the
database, released by the operating system when the holder exits, however it exits).
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

log = logging.getLogger("siaga.worker")
LOCK_NAME = "siaga-worker-lead"
_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtext(current_schema() || ':' || :name))")


class WorkerRefused(RuntimeError):
    """This worker process may not run (SQLite, and another worker runs on the same database)."""


class PostgresLead:
    """The lead among the worker processes of a PostgreSQL deployment (see the module's docstring)."""

    shares_events = True  # other processes may deliver too

    def __init__(self, url: str, check_s: float):
        self.engine = create_engine(url, poolclass=NullPool)
        self.check_s = check_s
        self.connection = None
        self.held = False
        self.checked = float("-inf")
        self.lock = threading.Lock()  # the scheduler runs jobs on several threads

    def holds(self) -> bool:
        """Whether this process runs the scheduled work now (looked at most every `check_s`)."""
        with self.lock:
            now = time.monotonic()
            if now - self.checked < self.check_s:
                return self.held
            self.checked = now
            was = self.held
            try:
                if self.connection is None:
                    self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                if self.held:
                    self.connection.exec_driver_sql("SELECT 1")  # the lock lives as long as its connection
                else:
                    self.held = bool(self.connection.scalar(_TRY_LOCK, {"name": LOCK_NAME}))
            except Exception as exc:  # noqa: BLE001 - no connection: not the lead; tried again next check
                log.warning("worker %d: the lead's connection failed: %s", os.getpid(), exc)
                self._close()
                self.held = False
            if self.held != was:
                log.info("worker %d %s the scheduled work", os.getpid(), "leads" if self.held else "no longer leads")
            return self.held

    def describe(self) -> str:
        return ("PostgreSQL: one of the deployment's worker processes (events shared; the scheduled work on the "
                "one holding the lead)")

    def close(self) -> None:
        with self.lock:
            self._close()
            self.held = False
        self.engine.dispose()

    def _close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 - already broken
                pass
            self.connection = None


class OnlyWorker:
    """SQLite: this process is the database's only worker, and leads by definition."""

    shares_events = False

    def __init__(self, database: str | None):
        self.file = None
        if database and database != ":memory:":
            path = Path(database).with_name(Path(database).name + ".worker.lock")
            self.file = open(path, "a+")  # noqa: SIM115 - held open for the process's life
            try:
                fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.file.seek(0)
                other = self.file.read().strip() or "?"
                self.file.close()
                raise WorkerRefused(
                    f"Pekerja latar lain (pid {other}) sudah berjalan pada basis data SQLite ini; SQLite hanya "
                    f"satu proses pekerja / another worker process (pid {other}) already runs on this SQLite "
                    f"database; SQLite takes one worker process (PostgreSQL takes several).") from None
            self.file.seek(0)
            self.file.truncate()
            self.file.write(str(os.getpid()))
            self.file.flush()

    def holds(self) -> bool:
        return True

    def describe(self) -> str:
        return "SQLite: the only worker process of this database"

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def lead_for(url: str, check_s: float):
    """This process's lead: PostgreSQL's advisory lock, or SQLite's one-process rule (WorkerRefused)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return OnlyWorker(parsed.database)
    return PostgresLead(url, check_s)
