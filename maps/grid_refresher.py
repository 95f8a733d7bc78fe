"""The map grid's background refresher: one daemon thread per app process.

Woken (`kick`) after a commit that changed TPS or kelurahan (logistics.services.data_versions.LISTENERS)
and by a zoomed-out map request that finds the stored counts behind the data (a change made by another
process or app server). It refreshes at most once every MAP_GRID_REFRESH_S seconds; the refresh itself
(logistics/services/map_grid.py) is skipped when the counts are current, and only one process at a
time counts, so many workers and servers kicking at once cost one refresh.

Off when MAP_GRID_REFRESH is "off" (the default under testing): tests and the benchmark refresh explicitly.
"""
from __future__ import annotations

import logging
import os
import threading
import time

import click
from flask import Flask
from sqlalchemy.orm import Session

from logistics.services import data_versions
from logistics.services.map_grid import SOURCE_TABLES, refresh

log = logging.getLogger(__name__)
_SOURCE = frozenset(SOURCE_TABLES)


class GridRefresher:
    def __init__(self, app: Flask, interval_s: float):
        from siaga.extensions import db

        self.app = app
        with app.app_context():
            self.engine = db.engine
        self.interval_s = interval_s
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self.last_run = 0.0
        self.runs = 0

    def on_commit(self, session: Session, names: frozenset[str]) -> None:
        bind = session.get_bind()
        if names & _SOURCE and getattr(bind, "engine", bind) is self.engine:  # this app's database
            self.kick()

    def kick(self) -> None:
        if click.get_current_context(silent=True) is not None:
            # A `flask` command's own thread (seed-demo, imports): it counts explicitly if it needs to, and
            # a refresher holding SQLite's write lock would make the command's next write fail.
            return
        self._wake.set()
        with self._lock:  # a thread does not survive a fork (gunicorn workers): start one per process
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="map-grid-refresher", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            wait = self.last_run + self.interval_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._wake.clear()
            self.last_run = time.monotonic()
            self.refresh_now()

    def refresh_now(self) -> None:
        """One refresh in a session of its own on the app's engine (never the request-scoped session)."""
        with self.app.app_context(), Session(self.engine) as session:
            try:
                result = refresh(session)
                session.commit()
                self.runs += 1
                if result is not None:
                    log.info("map grid refreshed: %d cells, %d written, %.2f s", result.cells, result.written,
                             result.seconds)
            except Exception:  # noqa: BLE001 - a failed refresh is retried on the next kick
                session.rollback()
                log.warning("map grid refresh failed", exc_info=True)


def install(app: Flask) -> None:
    mode = app.config.get("MAP_GRID_REFRESH", "off")
    if mode != "background":
        return
    refresher = GridRefresher(app, float(app.config.get("MAP_GRID_REFRESH_S", 30)))
    app.extensions["siaga_grid_refresher"] = refresher
    data_versions.LISTENERS.append(refresher.on_commit)
