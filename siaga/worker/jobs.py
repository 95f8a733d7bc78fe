"""The worker's jobs: each `@job(seconds)` runs on its interval in the one worker process."""
from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask

from siaga.extensions import db
from siaga.worker import heartbeat, job
from siaga.worker.channels import channels_for
from siaga.worker.outbox import CLAIM_TIMEOUT, deliver_pending

OUTBOX_POLL_S = 0.5  # commit -> the push service: well within the 2 s asked (docs/PERFORMANCE.md)


@job(heartbeat.BEAT.total_seconds())
def beat(app: Flask) -> None:
    heartbeat.beat(db.session)


@job(OUTBOX_POLL_S)
def deliver_outbox(app: Flask):
    channels = app.extensions.get("siaga_channels")
    if channels is None:
        channels = app.extensions["siaga_channels"] = channels_for(app)
    report = deliver_pending(db.session, channels, claim_timeout=claim_timeout(app))
    return report


def claim_timeout(app: Flask) -> timedelta:
    seconds = app.config.get("OUTBOX_CLAIM_TIMEOUT_S") or os.environ.get("OUTBOX_CLAIM_TIMEOUT_S")
    return timedelta(seconds=float(seconds)) if seconds else CLAIM_TIMEOUT


@job(15)
def raise_due_alerts(app: Flask) -> int:
    from logistics.services.alert_events import raise_due_alerts as scan
    from siaga.election import election_now, election_window

    return scan(db.session, election_now(), *election_window())
