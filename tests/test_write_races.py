"""Racing writes against a real server: gunicorn workers on a scratch database of the suite's kind,
each request on its own connection, committed for real (the per-test rollback fixture cannot show
a race). Two steps posted together give one 200 and one 409; twins with one idempotency key run once;
no row ever carries the fields of two end states."""
from __future__ import annotations

import threading
import uuid

import pytest
import requests
from sqlalchemy import create_engine, func, select

from bench.live_app import drop_scratch_database, prepare_database, running, scratch_postgres_url
from logistics.models import Delivery, DeliveryStatus, HealthIncident, Tps, TpsStatus
from logistics.rules.lifecycles.delivery import DELIVERY

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live(database_url, tmp_path_factory):
    if database_url.startswith("sqlite"):
        url = "sqlite:///" + str(tmp_path_factory.mktemp("races") / "races.db")
    else:
        url = scratch_postgres_url(database_url, "races")
    demo = prepare_database(url)
    with running(demo.database_url, workers=4) as server:
        engine = create_engine(demo.database_url)
        yield server, demo, engine
        engine.dispose()
    drop_scratch_database(demo.database_url)


def together(*calls):
    """Run the calls at the same moment (a barrier), each in its own thread; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def post(server, token, path, body, key=None):
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key or uuid.uuid4().hex}
    return lambda: requests.post(server.url + path, json=body, headers=headers, timeout=20)


def test_delivered_and_failed_posted_together_one_wins(live):
    server, demo, engine = live
    with engine.connect() as conn:
        ids = conn.scalars(select(Delivery.id).where(Delivery.status == DeliveryStatus.PLANNED)
                           .order_by(Delivery.id).limit(8)).all()
    for delivery_id in ids:
        path = f"/api/v1/deliveries/{delivery_id}/steps"
        delivered, failed = together(
            post(server, demo.coordinator_token, path, {"status": "delivered", "received_by": "Ketua KPPS"}),
            post(server, demo.coordinator_token, path, {"status": "failed", "reason": "jalan banjir"}))
        assert sorted([delivered.status_code, failed.status_code]) == [200, 409], (delivered.text, failed.text)
        loser = failed if failed.status_code == 409 else delivered
        assert set(loser.json()["error"]) == {"code", "message", "fields"}
        with engine.connect() as conn:
            row = conn.execute(select(Delivery.__table__).where(Delivery.id == delivery_id)).mappings().one()
        assert row["status"] in ("delivered", "failed")
        assert DELIVERY.fields.holds(row["status"], row), dict(row)


def test_four_opens_of_one_tps_give_one_200(live):
    server, demo, engine = live
    with engine.connect() as conn:
        ids = conn.scalars(select(Tps.id).where(Tps.status == TpsStatus.SETUP).order_by(Tps.id.desc()).limit(6)).all()
    for tps_id in ids:
        results = together(*[post(server, demo.coordinator_token, f"/api/v1/tps/{tps_id}/status", {"status": "open"})
                             for _ in range(4)])
        assert sorted(r.status_code for r in results) == [200, 409, 409, 409], [r.text for r in results]


def test_twins_with_one_key_run_once(live):
    server, demo, engine = live
    for _trial in range(5):
        marker = "kembar-" + uuid.uuid4().hex[:8]
        body = {"patient_kind": "voter", "complaint": marker, "triage": "hijau", "lat": -2.13, "lon": 106.11}
        key = uuid.uuid4().hex
        results = together(*[post(server, demo.reporter_token, "/api/v1/incidents", body, key) for _ in range(4)])
        statuses = [r.status_code for r in results]
        assert all(s in (201, 409) for s in statuses), statuses
        done = [r for r in results if r.status_code == 201]
        assert len({r.json()["id"] for r in done}) == 1
        assert sum(r.headers.get("Idempotent-Replayed") != "true" for r in done) == 1
        for r in results:
            if r.status_code == 409:
                assert r.json()["error"]["code"] == "idempotency_in_progress" and r.headers["Retry-After"]
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(HealthIncident)
                               .where(HealthIncident.complaint == marker)) == 1
