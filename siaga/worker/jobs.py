"""The worker's jobs: each `@job(seconds)` runs on its interval, in the process holding the lead (once per
deployment), or with `every_process` in each worker process (siaga/worker/__init__.py)."""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import Flask

from siaga.extensions import db
from siaga.sqlite_writes import as_reader
from siaga.worker import heartbeat, job
from siaga.worker.channels import channels_for
from siaga.worker.outbox import CLAIM_TIMEOUT, deliver_pending, newest_pending

log = logging.getLogger("siaga.worker")
# How often the outbox is looked at for new events: a look is one index scan that takes no write turn, and
# the wait for the next look was most of commit -> the push service (docs/PERFORMANCE.md, "Commit → the
# people"). Events already looked at (a delivery waiting for its retry) are passed over again only every
# RETRY_LOOK_S, not ten times a second.
OUTBOX_POLL_S = 0.1
RETRY_LOOK_S = 0.5


@job(heartbeat.BEAT.total_seconds(), every_process=True)  # a worker is alive while any process beats
def beat(app: Flask) -> None:
    heartbeat.beat(db.session)


@job(OUTBOX_POLL_S, every_process=True)  # on PostgreSQL the processes share the events (outbox.py)
def deliver_outbox(app: Flask):
    channels = app.extensions.get("siaga_channels")
    if channels is None:
        channels = app.extensions["siaga_channels"] = channels_for(app)
    seen = app.extensions.setdefault("siaga_outbox_seen", {"newest": 0, "at": float("-inf"), "more": False})
    newest = newest_pending(db.session)
    if newest is None or (newest <= seen["newest"] and not seen["more"]
                          and time.monotonic() - seen["at"] < RETRY_LOOK_S):
        return None
    report = deliver_pending(db.session, channels, claim_timeout=claim_timeout(app),
                             lock_events=app.extensions.get("siaga_worker_shares_events", False))
    # A pass that left events it could have taken (its batch full, or its time for routine ones up) is
    # followed by the next at once, not after RETRY_LOOK_S.
    seen.update(newest=newest, at=time.monotonic(), more=report.more)
    return report


def claim_timeout(app: Flask) -> timedelta:
    seconds = app.config.get("OUTBOX_CLAIM_TIMEOUT_S")
    return timedelta(seconds=float(seconds)) if seconds else CLAIM_TIMEOUT


@job(1, enabled=lambda app: bool(app.config.get("SMS_GATEWAY")))
def send_sms_replies(app: Flask) -> int:
    """Replies to SMS commands (logistics/services/sms_inbound.py queued them) to the gateway."""
    from siaga.sms.gateway import gateway_for
    from siaga.worker.sms import send_queued_replies

    return send_queued_replies(db.session, gateway_for(app))


@job(15)
def raise_due_alerts(app: Flask) -> int:
    from logistics.services.alert_events import raise_due_alerts as scan
    from siaga.election import election_now, election_window

    return scan(db.session, election_now(), *election_window())


# Every process: on PostgreSQL they share the wanted figures, each claimed by one (siaga/shared_figures.py).
@job(1, enabled=lambda app: bool(app.config.get("FIGURES_SHARE_S", 0)), every_process=True)
def refresh_wanted_figures(app: Flask) -> int:
    """Stored figures a reader found stale (siaga/shared_figures.py), computed again."""
    from siaga.shared_figures import refresh_wanted

    return refresh_wanted(claim=app.extensions.get("siaga_worker_shares_events", False))


@job(1, enabled=lambda app: app.config.get("MAP_GRID_REFRESH") == "background")
def refresh_map_grid(app: Flask):
    """The zoomed-out map's stored counts (logistics/services/map_grid.py), counted again when TPS changed
    (a cheap version check otherwise), at most every MAP_GRID_REFRESH_S."""
    from logistics.models import MapGridState
    from logistics.services.map_grid import refresh, source_version

    state = app.extensions.setdefault("siaga_grid_refresh", {"last": float("-inf")})
    if time.monotonic() - state["last"] < float(app.config.get("MAP_GRID_REFRESH_S", 30)):
        return None
    with as_reader():  # on SQLite `refresh` takes the write lock first, even to find nothing to do
        stored = db.session.get(MapGridState, 1)
        current = stored is not None and stored.source == source_version(db.session)
        db.session.rollback()
    if current:
        return None
    result = refresh(db.session)
    db.session.commit()
    if result is not None:
        state["last"] = time.monotonic()
        log.info("map grid refreshed: %d cells, %d written, %.2f s", result.cells, result.written, result.seconds)
    return result


@job(1)
def run_card_jobs(app: Flask) -> int | None:
    """Login cards asked for on /admin/pengguna (admin/card_jobs.py): the oldest queued job, with progress."""
    from admin.card_jobs import run_next

    return run_next(db.session)


@job(1)
def play_drill(app: Flask) -> int:
    """The drill `flask drill` recorded, if any: the events due by now (logistics/drill/runner.py)."""
    from sqlalchemy import select

    from logistics.drill.runner import play_drills
    from logistics.models import DrillClock
    from logistics.timeutil import utcnow

    plays = app.extensions.setdefault("siaga_drill_plays", {})
    with as_reader():  # most seconds there is no drill: find out without SQLite's write turn
        playing = db.session.scalar(select(DrillClock.id).where(DrillClock.finished_at.is_(None)).limit(1))
        db.session.rollback()
    if playing is None:
        plays.clear()
        return 0
    texter = None
    if app.config.get("SMS_GATEWAY") == "fake":  # the demo: a few TPS report by SMS (logistics/drill/runner.py)
        from siaga.sms.fake_gateway import text_app

        def texter(phone: str, text: str, message_id: str) -> None:
            text_app(app, phone, text, message_id)
    return play_drills(db.session, utcnow(), plays, log=log.info, texter=texter)


@job(60, enabled=lambda app: bool(app.config.get("SITUATION_REPORT_LANGUAGES", "id,en")))
def make_situation_reports(app: Flask) -> int:
    """This hour's situation report (PDF) for every kota and kecamatan, on the election day only
    (maps/situation_report.py); kept in `situation_report` and listed on the dashboard."""
    from logistics.queries.election_clock import on_drill_clock
    from maps.situation_report import make_situation_reports as make
    from siaga.election import wall_clock

    # By the hour of the election clock (a playing drill's simulated hour: its figures are on that clock too).
    moment = on_drill_clock(db.session, wall_clock())
    db.session.rollback()  # no read transaction left open while the reports are drawn
    languages = tuple(app.config.get("SITUATION_REPORT_LANGUAGES", "id,en").split(","))
    return make(db.session, moment, languages)
