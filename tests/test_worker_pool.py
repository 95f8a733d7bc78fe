"""Several worker processes on one PostgreSQL deployment (siaga/worker/lead.py, siaga/worker/outbox.py).

Two `flask --app wsgi worker` processes on one outbox of 500 events, each for the medic's two devices, and
the local push service (tests/push_service.py), which verifies, decrypts and records each push with its
sender (each worker signs with its own VAPID subject):
- both deliver, and every (event, device) reaches the push service exactly once;
- the one holding the lead (the scheduled work) killed -9 mid-run: the other finishes every delivery, each
  sent once but for the one in flight at the kill (a repeat carrying the same tag, as in
  tests/test_worker_kill.py), and takes the lead;
- in one process, the passes: one pass holding its events (its send blocked), another takes only the rest;
- in one process, the lead: of two contenders one runs a scheduled job, never both, and when the holder's
  connection ends (its process gone) the other runs it from its next check on;
- on SQLite a second worker process is refused, with the reason.
"""
from __future__ import annotations

import re
import signal
import threading
import time
from collections import Counter

import pytest
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from logistics.models import EventDelivery
from siaga.worker import Job, run_job
from siaga.worker.lead import LOCK_NAME, PostgresLead
from tests.fixtures.worker_processes import DEADLINE_S, pending, start_worker, wait_for
from tests.test_worker_kill import prepare

SCHEMA = "siaga_worker_pool"  # the fixtures' (tests/fixtures/worker_processes.py)
PUSH_DELAY_S = 0.005
EVENTS, DEVICES = 500, 2
LEADS = re.compile(r"worker (\d+) leads the scheduled work")


def postgres_only(url: str) -> None:
    if url.startswith("sqlite"):
        pytest.skip("several worker processes are for PostgreSQL (SQLite's one is tested below)")


def vapid(worker: str) -> dict[str, str]:
    key = Vapid()
    key.generate_keys()
    return {"VAPID_PRIVATE_KEY": b64urlencode(key.private_key.private_numbers().private_value.to_bytes(32, "big")),
            "VAPID_SUBJECT": f"mailto:{worker}@siaga-tps.invalid"}


def sender(worker: str) -> str:
    return f"mailto:{worker}@siaga-tps.invalid"


class Pool:
    """The test's database, seen from outside the workers."""

    def __init__(self, url: str):
        self.engine = create_engine(url)

    def pending(self) -> int:
        return pending(self.engine)

    def statuses(self) -> Counter:
        with self.engine.connect() as conn:
            return Counter(conn.scalars(select(EventDelivery.status).where(EventDelivery.channel == "webpush")))

    def lead_holders(self) -> int:
        """Backends holding the lead's advisory lock (its key: this schema's)."""
        with self.engine.connect() as conn:
            return conn.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = "
                "(hashtext(current_schema() || ':' || :name)::bigint & 4294967295)::oid"), {"name": LOCK_NAME})


def leaders(log) -> list[int]:
    return [int(pid) for pid in LEADS.findall(log.read_text())]


@pytest.mark.live
def test_two_workers_share_the_outbox_and_send_each_delivery_once(worker_database, push_service, tmp_path,
                                                                 monkeypatch):
    postgres_only(worker_database)
    monkeypatch.setenv("SIAGA_ENV", "testing")
    events, devices = prepare(worker_database, push_service, EVENTS, DEVICES)
    total, pool, log = len(events) * DEVICES, Pool(worker_database), tmp_path / "workers.log"
    workers = [start_worker(worker_database, log, **vapid("w1")), start_worker(worker_database, log, **vapid("w2"))]
    try:
        wait_for(lambda: pool.pending() == 0, "every event dispatched", workers, log)
        assert pool.lead_holders() == 1
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)

    assert push_service.rejected == []
    seen = Counter((p.payload["event_id"], p.endpoint) for p in push_service.all())
    assert set(seen) == {(event, device.endpoint) for event in events for device in devices}
    assert max(seen.values()) == 1, "a delivery was sent twice"
    assert len(push_service.all()) == total
    by_sender = Counter(p.sender for p in push_service.all())
    assert set(by_sender) == {sender("w1"), sender("w2")}, by_sender
    assert min(by_sender.values()) >= total // 10, by_sender  # shared, not one idle beside the other
    assert pool.statuses() == {"sent": total}
    assert len(leaders(log)) == 1, log.read_text()[-3000:]  # one lead, taken once, never moved
    pool.engine.dispose()


@pytest.mark.live
def test_the_leading_worker_killed_the_other_finishes_every_delivery_and_takes_the_lead(
        worker_database, push_service, tmp_path, monkeypatch):
    postgres_only(worker_database)
    monkeypatch.setenv("SIAGA_ENV", "testing")
    events, devices = prepare(worker_database, push_service, EVENTS, DEVICES)
    total, pool, log = len(events) * DEVICES, Pool(worker_database), tmp_path / "workers.log"
    workers = {name: start_worker(worker_database, log, **vapid(name)) for name in ("w1", "w2")}
    try:
        wait_for(lambda: leaders(log), "a worker to lead", list(workers.values()), log)
        leader = next(name for name, worker in workers.items() if worker.pid == leaders(log)[0])
        other = "w2" if leader == "w1" else "w1"
        wait_for(lambda: len([p for p in push_service.all() if p.sender == sender(leader)]) >= 50
                 and len(push_service.all()) >= total // 3, "pushes from both before the kill",
                 list(workers.values()), log)
        workers[leader].send_signal(signal.SIGKILL)
        workers[leader].wait()
        killed_at = time.monotonic()
        assert len(push_service.all()) < total, "the kill came too late to land mid-delivery"
        wait_for(lambda: leaders(log)[1:], "the other worker to take the lead", workers[other], log)
        took_lead_s = time.monotonic() - killed_at
        wait_for(lambda: pool.pending() == 0, "every event dispatched by the other worker", workers[other], log)
        assert pool.lead_holders() == 1
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)

    assert leaders(log) == [workers[leader].pid, workers[other].pid]
    assert took_lead_s < 10, took_lead_s  # WORKER_LEAD_CHECK_S is 1 s: a second or two, on a loaded machine
    assert push_service.rejected == []
    seen = Counter((p.payload["event_id"], p.endpoint) for p in push_service.all())
    assert set(seen) == {(event, device.endpoint) for event in events for device in devices}
    repeats = {pair: count for pair, count in seen.items() if count > 1}
    assert len(repeats) <= 1 and all(count == 2 for count in repeats.values()), repeats  # the send in flight
    assert pool.statuses() == {"sent": total}
    pool.engine.dispose()


class Recorder:
    """A channel with one recipient per event, recording what it sends; `hold` blocks its first send."""
    name = "test"

    def __init__(self, hold: bool = False):
        self.sent: list[int] = []
        self.holding, self.release = threading.Event(), threading.Event()
        self.hold = hold

    def recipients(self, session, event):
        return ["someone"]

    def send(self, session, event, recipient):
        if self.hold and not self.holding.is_set():
            self.holding.set()
            assert self.release.wait(60), "never released"
        self.sent.append(event.id)

    def drop(self, session, recipient):
        pass


def test_a_pass_holding_its_events_leaves_them_to_no_other(worker_database, push_service, monkeypatch):
    from siaga import create_app
    from siaga.extensions import db
    from siaga.worker.outbox import deliver_pending

    postgres_only(worker_database)
    monkeypatch.setenv("SIAGA_ENV", "testing")
    events, _devices = prepare(worker_database, push_service, 10, 0)
    app = create_app({"SQLALCHEMY_DATABASE_URI": worker_database})
    held, other = Recorder(hold=True), Recorder()
    with app.app_context():
        first_session = Session(db.engine)
        first = threading.Thread(target=lambda: deliver_pending(first_session, [held], batch=5, lock_events=True))
        first.start()
        try:
            assert held.holding.wait(60), "the first pass never sent"
            report = deliver_pending(Session(db.engine), [other], lock_events=True)
        finally:
            held.release.set()
            first.join(60)
        assert (report.events, report.sent, report.dispatched) == (5, 5, 5)
        assert sorted(held.sent) == events[:5] and sorted(other.sent) == events[5:]  # none taken by both
        assert deliver_pending(Session(db.engine), [other], lock_events=True).events == 0  # all dispatched
        db.engine.dispose()


def test_one_lead_runs_the_scheduled_job_and_another_takes_it_when_its_connection_ends(worker_database, app):
    postgres_only(worker_database)
    runs: Counter = Counter()
    scheduled = Job("count_runs", 1, lambda app: runs.update([current]))
    delivering = Job("count_deliveries", 1, lambda app: runs.update([f"{current} (every process)"]),
                     every_process=True)
    first, second = PostgresLead(worker_database, 0.05), PostgresLead(worker_database, 0.05)
    try:
        for _ in range(10):
            for current, lead in (("first", first), ("second", second)):
                run_job(app, scheduled, lead)
                run_job(app, delivering, lead)
            time.sleep(0.06)
        assert runs == {"first": 10, "first (every process)": 10, "second (every process)": 10}
        with create_engine(worker_database).connect() as admin:  # the first's process dies: its backend ends
            pid = first.connection.connection.dbapi_connection.info.backend_pid
            assert admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        time.sleep(0.2)  # the backend has gone, its lock with it
        for _ in range(5):
            for current, lead in (("first", first), ("second", second)):
                run_job(app, scheduled, lead)
            time.sleep(0.06)
        # The first noticed at its next check and never runs it again; the second runs it from its next check.
        assert runs["first"] == 10 and runs["second"] == 5
        assert not first.holds() and second.holds()
    finally:
        first.close()
        second.close()


@pytest.mark.live
def test_a_second_worker_on_sqlite_is_refused(database_url, tmp_path, monkeypatch):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's rule (PostgreSQL takes several worker processes: above)")
    monkeypatch.setenv("SIAGA_ENV", "testing")
    from flask_migrate import upgrade

    from siaga import create_app
    from siaga.extensions import db

    url = f"sqlite:///{tmp_path}/one-worker.db"
    with create_app({"SQLALCHEMY_DATABASE_URI": url}).app_context():
        upgrade()
        db.engine.dispose()
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    # Stopped soon after their start: without the situation reports, whose first run's imports take long
    # on a loaded machine (SIGTERM waits for the runs in progress).
    quick = {"SITUATION_REPORT_LANGUAGES": ""}
    first = start_worker(url, first_log, **quick)
    try:
        wait_for(lambda: "SQLite: the only worker process" in first_log.read_text(), "the first to start", first,
                 first_log)
        second = start_worker(url, second_log, **quick)
        assert second.wait(timeout=DEADLINE_S) == 1
        said = second_log.read_text()
        assert f"another worker process (pid {first.pid}) already runs on this SQLite database" in said, said
        assert first.poll() is None  # the first goes on
    finally:
        first.terminate()
        first.wait(timeout=DEADLINE_S)
    third = start_worker(url, second_log, **quick)  # the first gone (however it ended), a worker starts again
    try:
        wait_for(lambda: second_log.read_text().count("SQLite: the only worker process") == 1, "a new worker",
                 third, second_log)
    finally:
        third.terminate()
        third.wait(timeout=DEADLINE_S)
