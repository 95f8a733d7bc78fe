"""Commit → the people: how long from a merah's commit to the push at the push service, and to an open
station page showing it, under the load of bench/load_faults.py, with the worker killed -9 twice.

One run per database:
- the demo city on a scratch database; gunicorn (2 sync workers) and the one worker (`flask worker`), both
  with a VAPID key; the local push service of the tests (tests/push_service.py: verifies the VAPID JWT,
  decrypts every push with the device's keys) holds DEVICES subscriptions of the medic `medis`;
- `medis` is moved to a station B other than the one the load's TPS reports to, so the probes are what B
  sees: the load (N clients: API and form posts of hijau incidents at the `petugas` TPS, reads of the map,
  dashboard and API, as load_faults.py) runs for T seconds, and PROBERS report a merah at a TPS of B, each
  every PROBE_EVERY_S after its last answer, through the API;
- PAGES open station pages of B poll as static/js/live.js does (every POLL_S, If-None-Match; a 304 or the
  fresh page), each with its own login;
- at T/3 and 2T/3 the worker is killed with -9 and started again (the claim timeout is set to 5 s).
Afterwards, for each probe: commit → the first push of it at each device, and commit → the first poll
answer of each page that shows it. "Commit" is the outbox row's `occurred_at`, taken inside the
transaction a few ms before its COMMIT: the figures are a little longer than the truth, never shorter.
Also: every probe reached every device (none lost), how many (event, device) pairs came twice (a send in
flight when the worker was killed: at most one per kill, same tag, shown once by the phone), and the
posts of the load: lost / duplicated (as load_faults.py).

Usage:  .venv/bin/python bench/event_latency.py [--db sqlite|postgresql|both] [--clients 150]
          [--duration 60] [--pg postgresql://postgres@127.0.0.1:5432/test] [--no-kill]
Targets (issue 20): push p95 <= 2 s, visible p95 <= 10 s. Benchmarks are not tests: the figures are
printed (docs/PERFORMANCE.md), the exit status is 1 only if a probe was lost or a post lost/duplicated.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live_app import (  # noqa: E402
    Server, Worker, drop_scratch_database, prepare_database, scratch_postgres_url,
)
from bench.load_faults import logged_in, run_phase  # noqa: E402
from tests import push_service  # noqa: E402

DEVICES = 2
PAGES = 3
POLL_S = 5.0  # static/js/live.js POLL_MS
PROBE_EVERY_S = 2.0
PROBERS = 3  # each waits for its answer (seconds under the load), so three keep probes coming
DRAIN_S = 90.0  # after the load: until the outbox is empty (a killed worker's claims wait CLAIM_TIMEOUT)
CARD = re.compile(r'data-incident="(\d+)"')


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def describe(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (f"n {len(values)}, p50 {statistics.median(values):.2f} s, p95 {percentile(values, 0.95):.2f} s, "
            f"max {max(values):.2f} s")


def arrange(url: str, service: push_service.PushService) -> dict:
    """Move `medis` to a station other than the load's, subscribe its devices, pick a TPS of that station;
    mark the seed's events dispatched (they are not the run's)."""
    from sqlalchemy import select, update

    from logistics.actor import Actor
    from logistics.models import OutboxEvent, TpsCoverage, User
    from logistics.services.push_subscriptions import subscribe
    from logistics.timeutil import utcnow
    from siaga import create_app
    from siaga.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        session = db.session
        petugas_tps = session.scalar(select(User.tps_id).where(User.username == "petugas"))
        load_station = session.scalar(select(TpsCoverage.medic_station_id).where(TpsCoverage.tps_id == petugas_tps))
        probe_station, probe_tps = session.execute(
            select(TpsCoverage.medic_station_id, TpsCoverage.tps_id)
            .where(TpsCoverage.medic_station_id != load_station).order_by(TpsCoverage.tps_id).limit(1)).one()
        session.execute(update(User).where(User.username == "medis").values(medic_station_id=probe_station))
        session.execute(update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
        session.commit()
        medic = session.scalar(select(User).where(User.username == "medis"))
        devices = [service.subscribe() for _ in range(DEVICES)]
        for device in devices:
            keys = device.subscription_json()["keys"]
            subscribe(session, Actor.from_user(medic), device.endpoint, keys["p256dh"], keys["auth"], "bench")
        db.session.remove()
        db.engine.dispose()
    return {"station": probe_station, "tps": probe_tps, "devices": devices}


class Prober:
    """Reports a merah at the probe TPS every PROBE_EVERY_S through the API (retried like the phones)."""

    def __init__(self, base: str, token: str, tps_id: int, end: float):
        self.base, self.token, self.tps_id, self.end = base, token, tps_id, end
        self.ids: list[int] = []
        self.failed = 0

    def loop(self) -> None:
        http = requests.Session()
        while time.monotonic() < self.end:
            key = uuid.uuid4().hex
            body = {"patient_kind": "officer", "complaint": "pingsan", "triage": "merah", "tps_id": self.tps_id}
            for _attempt in range(20):
                try:
                    response = http.post(self.base + "/api/v1/incidents", json=body, timeout=30, headers={
                        "Authorization": f"Bearer {self.token}", "Idempotency-Key": key})
                except requests.RequestException:
                    time.sleep(0.5)
                    continue
                if response.status_code < 300:
                    self.ids.append(response.json()["id"])
                    break
                if response.status_code < 500:
                    self.failed += 1
                    break
                time.sleep(0.5)
            time.sleep(PROBE_EVERY_S)


class StationPage:
    """An open station page: polls its address like live.js, notes when each incident is first shown."""

    def __init__(self, base: str, station_id: int, end: float):
        self.url = f"{base}/lapangan/pos/{station_id}"
        self.http = logged_in(base, "medis")
        self.end = end
        self.first_seen: dict[int, float] = {}
        self.answers: Counter = Counter()
        self.bytes_304: list[int] = []

    def loop(self) -> None:
        etag = None
        time.sleep(POLL_S * (hash(id(self)) % 100) / 100)  # pages opened at different moments
        while time.monotonic() < self.end:
            headers = {"If-None-Match": etag} if etag else {}
            try:
                response = self.http.get(self.url, headers=headers, timeout=30, allow_redirects=False)
            except requests.RequestException:
                self.answers["network error"] += 1
                time.sleep(POLL_S)
                continue
            now = time.time()
            self.answers[response.status_code] += 1
            if response.status_code == 200:
                etag = response.headers.get("ETag")
                for number in CARD.findall(response.text):
                    self.first_seen.setdefault(int(number), now)
            time.sleep(POLL_S)


def committed_at(url: str, incident_ids: list[int]) -> dict[int, tuple[int, float]]:
    """incident id -> (its incident.reported event's id, the event's occurred_at as a Unix time)."""
    from sqlalchemy import create_engine, select

    from logistics.models import OutboxEvent
    from logistics.timeutil import as_utc

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxEvent.entity_id, OutboxEvent.id, OutboxEvent.occurred_at).where(
            OutboxEvent.kind == "incident.reported", OutboxEvent.entity_id.in_(incident_ids))).all()
    engine.dispose()
    return {entity: (event, as_utc(at).timestamp()) for entity, event, at in rows}


def wait_for_worker(url: str, pid: int, timeout: float = 120.0) -> None:
    """Until the worker `pid` has beaten once (its jobs are scheduled; the first outbox pass runs with it)."""
    from sqlalchemy import create_engine, select

    from siaga.worker.heartbeat import TABLE

    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.scalar(select(TABLE.c.pid)) == pid:
                    return
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise RuntimeError(f"the worker {pid} did not start within {timeout:.0f} s")


def backlog(url: str) -> int:
    """Events not yet dispatched (the worker's own count, siaga/worker/outbox.py)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from siaga.worker import outbox

    engine = create_engine(url)
    with Session(engine) as session:
        n = outbox.backlog(session)
    engine.dispose()
    return n


def run(kind: str, url: str, args, workdir: Path) -> bool:
    from py_vapid import Vapid
    from py_vapid.utils import b64urlencode

    demo = prepare_database(url)
    service, http_server = push_service.start()
    arranged = arrange(demo.database_url, service)
    key = Vapid()
    key.generate_keys()
    env = {"VAPID_PRIVATE_KEY": b64urlencode(key.private_key.private_numbers().private_value.to_bytes(32, "big")),
           "VAPID_SUBJECT": "mailto:ops@siaga-tps.invalid", "OUTBOX_CLAIM_TIMEOUT_S": "5"}
    server = Server(demo.database_url, 2, str(workdir / f"gunicorn-{kind}.log"), env).start(timeout=120)
    worker_log = workdir / f"worker-{kind}.log"
    workers = [Worker(demo.database_url, str(worker_log), env).start()]
    wait_for_worker(demo.database_url, workers[0].process.pid)  # "running": a start-up is not a delivery

    def kill_worker(_outage) -> str:
        victim = workers[-1]
        victim.process.kill()
        victim.process.wait()
        workers.append(Worker(demo.database_url, str(workdir / f"worker-{kind}-{len(workers)}.log"), env).start())
        return f"kill -9 the worker {victim.process.pid} at {time.strftime('%H:%M:%S')}"

    try:
        end = time.monotonic() + args.duration
        probers = [Prober(server.url, demo.reporter_token, arranged["tps"], end) for _ in range(PROBERS)]
        pages = [StationPage(server.url, arranged["station"], end + 2 * POLL_S) for _ in range(PAGES)]
        threads = [threading.Thread(target=t.loop, daemon=True) for t in (*probers, *pages)]
        for thread in threads:
            thread.start()
        faults = [] if args.no_kill else [(args.duration / 3, kill_worker), (2 * args.duration / 3, kill_worker)]
        load = run_phase("events", server, demo, args.clients, args.duration, faults)
        for thread in threads:
            thread.join(args.duration + 120)
        deadline = time.monotonic() + DRAIN_S
        while backlog(demo.database_url) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = backlog(demo.database_url)
    finally:
        workers[-1].stop()
        server.stop()
        http_server.shutdown()

    probe_ids = [incident for prober in probers for incident in prober.ids]
    events = committed_at(demo.database_url, probe_ids)
    devices = [d.endpoint for d in arranged["devices"]]
    first_push: dict[tuple[int, str], float] = {}
    pairs = Counter()
    for push in service.all():
        pair = (push.payload["event_id"], push.endpoint)
        pairs[pair] += 1
        first_push[pair] = min(first_push.get(pair, push.at), push.at)
    push_latency, missing = [], []
    for event_id, at in events.values():
        for endpoint in devices:
            if (event_id, endpoint) in first_push:
                push_latency.append(first_push[(event_id, endpoint)] - at)
            else:
                missing.append((event_id, endpoint))
    visible, unseen = [], defaultdict(int)
    for page in pages:
        for incident, (_event, at) in events.items():
            if incident in page.first_seen:
                visible.append(page.first_seen[incident] - at)
            else:
                unseen[incident] += 1
    repeats = {pair: n for pair, n in pairs.items() if n > 1}
    answers = sum((page.answers for page in pages), Counter())
    print(f"== {kind}: {args.clients} clients, {args.duration:.0f} s, worker killed -9 "
          f"{0 if args.no_kill else 2} times; {len(probe_ids)} merah probes, {DEVICES} devices, {PAGES} open pages")
    print(f"  load: {load.report().strip()}")
    print(f"  commit -> push service: {describe(push_latency)}")
    print(f"  commit -> visible on an open station page: {describe(visible)} (polls: {dict(answers)})")
    print(f"  probes not pushed to a device: {len(missing)}; (event, device) pairs pushed twice: {len(repeats)}; "
          f"pushes rejected by the push service: {len(service.rejected)}; outbox left after {DRAIN_S:.0f} s: {left}")
    if unseen:
        print(f"  probes never seen by some page (closed before the page's next poll?): {dict(unseen)}")
    ok = load.ok and not missing and not service.rejected and left == 0 and not any(p.failed for p in probers)
    drop_scratch_database(demo.database_url)
    return ok


def harness_main(doc: str, name: str, run, add_arguments=None) -> int:
    """A latency bench's command line (this one's and bench/sms_latency.py's): the databases, the load's
    clients and length, then `run(kind, url, args, workdir)` once per database; 0 when every run passed."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=150)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test"))
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args()
    os.environ.setdefault("SIAGA_ENV", "testing")
    workdir = Path(tempfile.mkdtemp(prefix=f"siaga-{name}-"))
    ok = True
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        url = f"sqlite:///{workdir}/{name}.db" if kind == "sqlite" else scratch_postgres_url(args.pg, name)
        ok &= run(kind, url, args, workdir)
    print(f"logs: {workdir}")
    return 0 if ok else 1


def main() -> int:
    return harness_main(__doc__, "eventlat", run, lambda parser: parser.add_argument(
        "--no-kill", action="store_true", help="leave the worker running"))


if __name__ == "__main__":
    sys.exit(main())
