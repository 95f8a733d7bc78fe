"""The one worker process: `flask --app wsgi worker`.

It delivers the events outbox to every channel (siaga/worker/outbox.py) and runs the scheduled work
(registered with `@job`), each job on APScheduler's interval trigger, one run of a job at a time (a run
that outlasts its interval is not started twice; missed runs coalesce into one). Web workers start no
threads: whatever must happen in the background happens here. Its heartbeat row tells /healthz and the
dashboard whether it runs.

Killed (kill -9) and started again, it loses nothing: what it has not recorded as delivered is delivered
by the next pass, and a delivery it recorded is never sent again.
"""
from __future__ import annotations

import logging
import signal
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


JOBS: list[Job] = []


def job(seconds: float, *, name: str | None = None, enabled: Callable[[Flask], bool] = lambda app: True):
    """Register `function(app)` to run every `seconds` in the worker (in an app context, as a writer)."""
    def register(function):
        JOBS.append(Job(name or function.__name__, seconds, function, enabled))
        return function
    return register


def run_job(app: Flask, found: Job):
    """One run of a job: in an app context, its session removed afterwards; a failure is logged, and the
    next interval runs it again."""
    with app.app_context(), as_writer():
        try:
            return found.run(app)
        except Exception:  # noqa: BLE001 - a job's failure must not stop the worker
            log.exception("worker job %s failed", found.name)
            db.session.rollback()
        finally:
            db.session.remove()


def build_scheduler(app: Flask):
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    from siaga.worker import jobs  # noqa: F401  (registers the jobs)

    scheduler = BlockingScheduler(executors={"default": ThreadPoolExecutor(4)}, timezone="UTC",
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
    for found in JOBS:
        if found.enabled(app):
            scheduler.add_job(run_job, "interval", seconds=found.seconds, args=(app, found), id=found.name,
                              name=found.name, next_run_time=_now())
    return scheduler


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def run_worker(app: Flask) -> None:
    """Run until SIGTERM or SIGINT (then finish the runs in progress and stop)."""
    if not logging.getLogger().handlers:  # the worker's own lines (its jobs, urgent events' lags) to stderr
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("apscheduler").setLevel(logging.ERROR)  # not a line per pass skipped at 0.1 s
    scheduler = build_scheduler(app)

    def stop(_signum, _frame):
        log.info("worker stopping")
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    log.info("worker started: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
