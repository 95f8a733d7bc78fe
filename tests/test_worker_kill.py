"""The worker killed with -9 twice mid-delivery and started again: every event reaches every device, and a
(event, device) pair reaches the push service twice at most once per kill.

`flask --app wsgi worker` runs as a subprocess against its own database (a SQLite file, or a schema of
TEST_DATABASE_URL's PostgreSQL) and the local push service (tests/push_service.py), which verifies and
decrypts each push. What the design guarantees (siaga/worker/outbox.py): a delivery is claimed (committed)
before it is sent and recorded after, so
- nothing is lost: a claim whose sender died is retried after the claim timeout (OUTBOX_CLAIM_TIMEOUT_S,
  2 s here), and events stay pending until each of their deliveries is recorded;
- a recorded delivery is never sent again; only the one send in flight when the process dies (the push
  service accepted it, the worker had not recorded it) can be sent a second time: at most one duplicate per
  kill, carrying the same tag (the event id), so the phone shows it once (field/static/sw.js).
Exactly-once at the push service cannot hold at that point: RFC 8030 has no idempotency key.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from sqlalchemy import create_engine, func, select, update

from logistics.actor import Actor
from logistics.events import Event, EventKind, raise_event
from logistics.models import EventDelivery, OutboxEvent, Tps, User
from logistics.services.push_subscriptions import subscribe
from logistics.timeutil import utcnow
from siaga import create_app
from siaga.extensions import db
from tests import push_service as push
from tests.conftest import database_of_its_own

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = "siaga_worker_kill"
EVENTS, DEVICES, KILLS = 60, 3, 2
DEADLINE_S = 240  # a guard against a hung worker, not a measured bound


@pytest.fixture()
def worker_database(database_url, tmp_path):
    """A database of the suite's kind, of its own: the worker process must see committed rows."""
    with database_of_its_own(database_url, tmp_path, SCHEMA) as url:
        yield url


@pytest.fixture()
def push_service():
    service, server = push.start()
    service.delay_s = 0.01
    yield service
    server.shutdown()
    server.server_close()


def prepare(url: str, service: push.PushService, events: int = EVENTS,
            devices: int = DEVICES) -> tuple[list[int], list[push.Device]]:
    """Seed, subscribe the medic's `devices`, raise `events` events (the seed's own are marked dispatched)."""
    from flask_migrate import upgrade

    from siaga.seeding import seed_demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        seed_demo(db.session, demo_password="worker-kill-test")
        session = db.session
        session.execute(update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
        medic = session.scalar(select(User).where(User.username == "medis"))
        subscribed = [service.subscribe() for _ in range(devices)]
        for device in subscribed:
            keys = device.subscription_json()["keys"]
            subscribe(session, Actor.from_user(medic), device.endpoint, keys["p256dh"], keys["auth"], "test")
        tps_id = session.scalar(select(Tps.id).order_by(Tps.id))
        for number in range(events):
            raise_event(session, Event(EventKind.INCIDENT_REPORTED, "health_incident", number + 1, None,
                                       {"triage": "merah", "status": "reported", "tps_id": tps_id,
                                        "medic_station_id": medic.medic_station_id}))
        session.commit()
        raised = list(session.scalars(select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None))))
        db.session.remove()
        db.engine.dispose()
    return raised, subscribed


def start_worker(url: str, log: Path, **settings: str) -> subprocess.Popen:
    """`flask worker` on `url` with a short claim timeout and the channel's `settings` (environment)."""
    env = {**os.environ, "DATABASE_URL": url, "SIAGA_ENV": "testing", "OUTBOX_CLAIM_TIMEOUT_S": "2",
           "MAP_GRID_REFRESH": "off", **settings}
    env.pop("TEST_DATABASE_URL", None)
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def wait_for(condition, what: str, worker: subprocess.Popen | list[subprocess.Popen], log: Path) -> None:
    """Until `condition()`; fails if a worker (one, or each of a list) exits first, or after DEADLINE_S."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        for one in (worker if isinstance(worker, list) else [worker]):
            if one.poll() is not None:
                pytest.fail(f"a worker exited ({one.returncode}) waiting for {what}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


@pytest.mark.live
def test_worker_killed_twice_delivers_every_event_to_every_device_at_most_one_repeat_per_kill(
        worker_database, push_service, tmp_path, monkeypatch):
    monkeypatch.setenv("SIAGA_ENV", "testing")
    events, devices = prepare(worker_database, push_service)
    total = len(events) * DEVICES
    assert len(events) == EVENTS
    key = Vapid()
    key.generate_keys()
    vapid = {"VAPID_PRIVATE_KEY": b64urlencode(key.private_key.private_numbers().private_value.to_bytes(32, "big")),
             "VAPID_SUBJECT": "mailto:ops@siaga-tps.invalid"}
    log = tmp_path / "worker.log"
    engine = create_engine(worker_database)

    def pending() -> int:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)))

    worker = start_worker(worker_database, log, **vapid)
    try:
        for kill in range(1, KILLS + 1):
            # Kill it while it sends: after a part of the pushes, before the last.
            wait_for(lambda: len(push_service.all()) >= total * kill // (KILLS + 1), f"pushes before kill {kill}",
                     worker, log)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            assert len(push_service.all()) < total, "the kill came too late to land mid-delivery"
            worker = start_worker(worker_database, log, **vapid)
        wait_for(lambda: pending() == 0, "every event dispatched", worker, log)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert push_service.rejected == []
    seen = Counter((p.payload["event_id"], p.endpoint) for p in push_service.all())
    expected = {(event, device.endpoint) for event in events for device in devices}
    assert set(seen) == expected  # every event reached every device, and nothing else was sent
    repeats = {pair: count for pair, count in seen.items() if count > 1}
    assert len(repeats) <= KILLS and all(count == 2 for count in repeats.values()), repeats
    assert all(p.payload["tag"] == f"siaga-{p.payload['event_id']}" for p in push_service.all())
    with engine.connect() as conn:
        statuses = Counter(conn.scalars(select(EventDelivery.status).where(EventDelivery.channel == "webpush")))
    assert statuses == {"sent": total}
    engine.dispose()
