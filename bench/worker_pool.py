"""Events/s and pushes/s of the worker role with 1 and 2 worker processes on one PostgreSQL outbox.

A scratch schema of the given database (the demo city, migrated and seeded; the medic `medis` with two
devices at the tests' local push service, tests/push_service.py, which verifies and decrypts every push, in
this process). For each number of processes, alternating, ROUNDS times: the workers (`flask --app wsgi
worker`) are started on an empty outbox and left to settle, then one transaction puts in
- BARE events `delivery.received` (the meal confirmation's: nobody is told), or
- PUSH events, a merah `incident.reported` each, pushed to the medic's two devices,
and the clock runs from its commit until the outbox is empty. Printed: events/s, pushes/s, the worker
processes' CPU (user + system, from /proc) per event, and the load average before and after.

Usage:  .venv/bin/python bench/worker_pool.py --pg postgresql://postgres@127.0.0.1:5432/<db>
          [--bare 3000] [--push 400] [--rounds 2] [--processes 1,2]
Benchmarks are not tests: the figures go in docs/SCALING.md ("What would be needed", item 2).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SIAGA_ENV", "testing")

from py_vapid import Vapid  # noqa: E402
from py_vapid.utils import b64urlencode  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from bench.live_app import process_cpu_s  # noqa: E402
from siaga.config import normalise_database_url  # noqa: E402
from tests import push_service as push  # noqa: E402
from tests.fixtures.worker_processes import start_worker  # noqa: E402
from tests.test_worker_kill import prepare  # noqa: E402

SCHEMA = "siaga_worker_pool_bench"


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", required=True)
    parser.add_argument("--bare", type=int, default=3000)
    parser.add_argument("--push", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--processes", default="1,2")
    args = parser.parse_args()
    base = normalise_database_url(args.pg)
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{SCHEMA}"
    service, server = push.start()
    try:
        run(url, service, args)
    finally:
        server.shutdown()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


def run(url: str, service: push.PushService, args) -> None:
    from logistics.events import Event, EventKind, raise_event
    from logistics.models import Delivery, OutboxEvent, Tps, User
    from siaga import create_app
    from siaga.extensions import db

    print(f"preparing the demo city in {SCHEMA} (load {load()})", flush=True)
    prepare(url, service, events=0, devices=2)
    key = Vapid()
    key.generate_keys()
    env = {"VAPID_PRIVATE_KEY": b64urlencode(key.private_key.private_numbers().private_value.to_bytes(32, "big")),
           "VAPID_SUBJECT": "mailto:ops@siaga-tps.invalid", "SITUATION_REPORT_LANGUAGES": ""}
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    engine = create_engine(url)

    def pending() -> int:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)))

    with app.app_context():
        session = db.session
        medic = session.scalar(select(User).where(User.username == "medis"))
        tps_id = session.scalar(select(Tps.id).order_by(Tps.id))
        delivery = session.scalar(select(Delivery).order_by(Delivery.id).limit(1))
        kecamatan_id = delivery.tps.kelurahan.kecamatan_id
        bare = Event(EventKind.DELIVERY_RECEIVED, "delivery", delivery.id, kecamatan_id,
                     {"tps_id": delivery.tps_id, "courier_id": delivery.courier_id, "status": "received",
                      "kind": "meal", "meal_round": "siang", "item": None, "drill": False, "by_user": None,
                      "by_person": None})
        merah = Event(EventKind.INCIDENT_REPORTED, "health_incident", 1, None,
                      {"triage": "merah", "status": "reported", "tps_id": tps_id,
                       "medic_station_id": medic.medic_station_id})
        db.session.remove()

        logdir = Path(tempfile.mkdtemp(prefix="worker-pool-bench-"))
        results: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
        for round_ in range(args.rounds):
            for processes in [int(p) for p in args.processes.split(",")]:
                for kind, event, count in (("bare", bare, args.bare), ("push", merah, args.push)):
                    log = logdir / f"{round_}-{processes}-{kind}.log"
                    workers = [start_worker(url, log, **env) for _ in range(processes)]
                    while log.read_text().count(" started (") < processes or "leads the scheduled work" not in log.read_text():
                        time.sleep(0.1)
                    time.sleep(3)  # the first passes and jobs done: an idle worker on an empty outbox
                    pushes_before = len(service.all())
                    before_load = load()
                    cpu_before = sum(process_cpu_s(w.pid) for w in workers)
                    for _ in range(count):
                        raise_event(db.session, event)
                    db.session.commit()
                    committed = time.monotonic()
                    db.session.remove()
                    while pending():
                        time.sleep(0.02)
                    seconds = time.monotonic() - committed
                    cpu = sum(process_cpu_s(w.pid) for w in workers) - cpu_before
                    for worker in workers:
                        worker.terminate()
                    for worker in workers:
                        worker.wait(timeout=30)
                    pushes = len(service.all()) - pushes_before
                    results.setdefault((kind, processes), []).append((count / seconds, pushes / seconds,
                                                                      cpu * 1000 / count))
                    print(f"  round {round_ + 1}, {processes} process(es), {count} {kind} events: {seconds:.2f} s, "
                          f"{count / seconds:.0f} events/s, {pushes} pushes, {pushes / seconds:.0f} pushes/s, "
                          f"workers' CPU {cpu * 1000 / count:.2f} ms/event; load {before_load} -> {load()}",
                          flush=True)
    assert service.rejected == [], service.rejected[:3]
    print("\nsummary (mean over rounds):")
    for (kind, processes), rows in sorted(results.items()):
        n = len(rows)
        print(f"  {kind:4} x {processes}: {sum(r[0] for r in rows) / n:.0f} events/s, "
              f"{sum(r[1] for r in rows) / n:.0f} pushes/s, {sum(r[2] for r in rows) / n:.2f} ms CPU/event")
    engine.dispose()


if __name__ == "__main__":
    main()
