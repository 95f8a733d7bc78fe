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

import signal
from collections import Counter

import pytest
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from sqlalchemy import create_engine, select

from logistics.actor import Actor
from logistics.events import Event, EventKind, raise_event
from logistics.models import EventDelivery, OutboxEvent, Tps, User
from logistics.services.push_subscriptions import subscribe
from tests import push_service as push
from tests.fixtures.worker_processes import pending, seeded, start_worker, wait_for

SCHEMA = "siaga_worker_kill"  # the worker_database fixture's (tests/fixtures/worker_processes.py)
EVENTS, DEVICES, KILLS = 60, 3, 2


def prepare(url: str, service: push.PushService, events: int = EVENTS,
            devices: int = DEVICES) -> tuple[list[int], list[push.Device]]:
    """Seed, subscribe the medic's `devices`, raise `events` events (the seed's own are marked dispatched)."""
    with seeded(url) as session:
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
    return raised, subscribed


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
        wait_for(lambda: pending(engine) == 0, "every event dispatched", worker, log)
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
