"""The worker role: `flask --app wsgi worker`, one process on SQLite, any number on PostgreSQL.

Each process delivers the events outbox to every channel (siaga/worker/outbox.py; on PostgreSQL the
processes share the events, each pass locking those it takes) and runs the scheduled work (registered with
`@job`), each job on APScheduler's interval trigger, one run of a job at a time (a run that outlasts its
interval is not started twice; missed runs coalesce into one). A job marked `every_process` (the delivery,
the stored figures' refresh, the heartbeat) runs in every process; the others only in the process holding the deployment's lead
(siaga/worker/lead.py), so the scheduled work runs once per deployment and moves to another process when
that one dies. Web workers start no threads: whatever must happen in the background happens here. The
heartbeat row tells /healthz and the dashboard whether a worker runs.

Killed (kill -9) and started again, a worker loses nothing: what it has not recorded as delivered is
delivered by the next pass (its own after a restart, or another process's), and a delivery it recorded is
never sent again.
"""
from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from siaga.extensions import db
from siaga.sqlite_writes import as_writer

log = logging.getLogger("siaga.worker")


@dataclass(frozen=True)
class Job:
    name: str
    seconds: float
    run: Callable[[Flask], object]
    enabled: Callable[[Flask], bool] = lambda app: True
    every_process: bool = False  # False: only in the process holding the lead (once per deployment)


JOBS: list[Job] = []


def job(seconds: float, *, name: str | None = None, enabled: Callable[[Flask], bool] = lambda app: True,
        every_process: bool = False):
    """Register `function(app)` to run every `seconds` in the worker (in an app context, as a writer): in the
    process holding the lead, or with `every_process` in each worker process."""
    def register(function):
        JOBS.append(Job(name or function.__name__, seconds, function, enabled, every_process))
        return function
    return register


def run_job(app: Flask, found: Job, lead=None):
    """One run of a job: in an app context, its session removed afterwards; a failure is logged, and the
    next interval runs it again. With a `lead` (siaga/worker/lead.py), a job that is not `every_process`
    runs only while this process holds it."""
    if lead is not None and not found.every_process and not lead.holds():
        return None
    with app.app_context(), as_writer():
        try:
            return found.run(app)
        except Exception:  # noqa: BLE001 - a job's failure must not stop the worker
            log.exception("worker job %s failed", found.name)
            db.session.rollback()
        finally:
            db.session.remove()


def build_scheduler(app: Flask, lead=None):
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    from siaga.worker import jobs  # noqa: F401  (registers the jobs)

    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(4)}, timezone="UTC",
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
    for found in JOBS:
        if found.enabled(app):
            scheduler.add_job(run_job, "interval", seconds=found.seconds, args=(app, found, lead), id=found.name,
                              name=found.name, next_run_time=_now())
    return scheduler


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def run_worker(app: Flask) -> None:
    """Run until SIGTERM or SIGINT (then finish the runs in progress and stop). On SQLite a second worker
    process of the same database is refused: WorkerRefused (siaga/worker/lead.py)."""
    from siaga.worker.lead import lead_for

    if not logging.getLogger().handlers:  # the worker's own lines (its jobs, urgent events' lags) to stderr
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("apscheduler").setLevel(logging.ERROR)  # not a line per pass skipped at 0.1 s
    lead = lead_for(app.config["SQLALCHEMY_DATABASE_URI"], float(app.config.get("WORKER_LEAD_CHECK_S", 1.0)))
    # On PostgreSQL other worker processes may run: each delivery pass locks the events it takes (outbox.py).
    app.extensions["siaga_worker_shares_events"] = lead.shares_events
    scheduler = build_scheduler(app, lead)

    stopping: list[int] = []

    def stop(signum, _frame):
        # Only note it; the main thread, sleeping below, stops the scheduler. Shutting it down inside the
        # handler deadlocked when the signal landed while the thread held the executor's lock (submitting a
        # run), and raising SystemExit here to leave a blocking scheduler's loop was lost when it landed while
        # that loop submitted a run (APScheduler logged it as a failed submission and went on: the worker
        # ignored SIGTERM).
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker %d started (%s): %s", os.getpid(), lead.describe(), ", ".join(j.id for j in scheduler.get_jobs()))
    lead.holds()  # say at once whether this process leads
    scheduler.start()  # its loop and the runs on threads of their own
    try:
        while not stopping:
            time.sleep(0.2)
        log.info("worker stopping")
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)  # the runs in progress finish
        lead.close()
