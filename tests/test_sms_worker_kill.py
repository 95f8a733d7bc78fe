"""SMS notices with the worker killed -9 twice mid-batch and started again: no notice lost, none sent twice.

As tests/test_worker_kill.py, with the SMS channel: `flask --app wsgi worker` runs as a subprocess against
a database of its own and the fake gateway served on a real port (siaga/sms/fake_gateway.py `serve`), which
the worker reaches through the real adapter (SMS_GATEWAY=smsgate). The gateway is asked once per
(event, number): a delivery is claimed before it is sent (siaga/worker/outbox.py), and the message id is
derived from (event, number) (siaga/worker/sms.py), so the one send in flight when the worker dies, taken
over after the claim timeout, is refused by the gateway as a duplicate (409) and recorded as sent. Unlike a
push, the phone gets it exactly once.
"""
from __future__ import annotations

import re
import signal
from collections import Counter

import pytest
from sqlalchemy import create_engine, func, select

from logistics.events import Event, EventKind, raise_event
from logistics.models import EventDelivery, OutboxEvent, SmsOutbound, TpsCoverage
from siaga.sms.fake_gateway import FakeGateway, serve
from siaga.worker.sms import NOTICE_LIMIT, SmsChannel
from tests.fixtures.worker_processes import pending, seeded, start_worker, wait_for

SCHEMA = "siaga_sms_worker_kill"  # the worker_database fixture's (tests/fixtures/worker_processes.py)
PER_STATION, KILLS = 8, 2  # 8 merah per station: no number reaches the notice limit (NOTICE_LIMIT)
LOGIN = {"SMS_USERNAME": "siaga", "SMS_PASSWORD": "kill-test", "SMS_SIGNING_KEY": "kill-test-key"}
EVENT_OF = re.compile(r"^siaga-e(\d+)-")


@pytest.fixture()
def gateway():
    fake = FakeGateway(LOGIN["SMS_USERNAME"], LOGIN["SMS_PASSWORD"], LOGIN["SMS_SIGNING_KEY"], delay_s=0.01)
    server = serve(fake)
    yield fake, server.url
    server.shutdown()


def prepare(url: str) -> set[tuple[int, str]]:
    """Seed; raise PER_STATION merah at a TPS of each station (the seed's events marked dispatched); the
    (event, number) pairs the SMS channel names for them."""
    with seeded(url) as session:
        stations = session.execute(select(TpsCoverage.medic_station_id, func.min(TpsCoverage.tps_id))
                                   .group_by(TpsCoverage.medic_station_id)).all()
        for station, tps in stations:
            for n in range(PER_STATION):
                raise_event(session, Event(EventKind.INCIDENT_REPORTED, "health_incident", station * 100 + n, None,
                                           {"triage": "merah", "status": "reported", "tps_id": tps,
                                            "medic_station_id": station}))
        session.commit()
        channel = SmsChannel(gateway=None)
        expected = {(event.id, number)
                    for event in session.scalars(select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)))
                    for number in channel.recipients(session, event)}
    return expected


@pytest.mark.live
def test_sms_worker_killed_twice_loses_no_notice_and_sends_none_twice(worker_database, gateway, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("SIAGA_ENV", "testing")
    fake, url = gateway
    expected = prepare(worker_database)
    per_number = Counter(number for _event, number in expected)
    assert len(expected) >= 40 and max(per_number.values()) <= NOTICE_LIMIT
    assert len(expected) > len({event for event, _n in expected})  # stations' phones, and duty medics' too
    log = tmp_path / "worker.log"
    settings = {"SMS_GATEWAY": "smsgate", "SMS_GATEWAY_URL": url, **LOGIN}
    engine = create_engine(worker_database)
    worker = start_worker(worker_database, log, **settings)
    try:
        for kill in range(1, KILLS + 1):
            wait_for(lambda: len(fake.sent) >= len(expected) * kill // (KILLS + 1), f"notices before kill {kill}",
                     worker, log)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            assert len(fake.sent) < len(expected), "the kill came too late to land mid-batch"
            worker = start_worker(worker_database, log, **settings)
        wait_for(lambda: pending(engine) == 0, "every event dispatched", worker, log)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    seen = Counter((int(EVENT_OF.match(m["id"]).group(1)), number) for m in fake.sent for number in m["phoneNumbers"])
    assert set(seen) == expected  # no notice lost, none to anyone else
    assert max(seen.values()) == 1  # and none twice: the gateway took each (event, number) once
    with engine.connect() as conn:
        statuses = Counter(conn.scalars(select(EventDelivery.status).where(EventDelivery.channel == "sms")))
        recorded = conn.scalar(select(func.count(func.distinct(SmsOutbound.gateway_id)))
                               .where(SmsOutbound.event_id.is_not(None)))
    assert statuses == {"sent": len(expected)} and recorded == len(expected)
    engine.dispose()
