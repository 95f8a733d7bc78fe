"""An SMS command → stored → its reply handed to the gateway: how long, under the 150-client load harness.

One run per database, on the harness of bench/event_latency.py (its load, servers and figures):
- the demo city on a scratch database; gunicorn (2 sync workers) and the one worker (`flask worker`), both
  set for SMS Gateway for Android (SMS_GATEWAY=smsgate) at the fake gateway, served on a real port by this
  process (siaga/sms/fake_gateway.py `serve`): the real adapter, real HTTP both ways;
- NUMBERS officer accounts, each on the ketua of its own TPS, so each probe comes from a known number and
  no number nears the reply limit (5 per 10 min, logistics/services/sms_inbound.py);
- the load (N clients, bench/load_faults.py) runs for T seconds; PROBERS post, each every PROBE_EVERY_S
  after its last answer, a signed `sms:received` webhook (`HADIR 7`) from the next number to /sms/webhook,
  as the gateway's phone would.
Probes start once the worker has handed a first reply (its start-up jobs done: `warm_up`). For each probe: t0 = just before the webhook's POST; "stored" = its 200 (the command, its audit entry and
its queued reply committed); "handed" = the moment the gateway took the reply (the worker's
`send_sms_replies`, every 1 s). The worker is not killed here (bench/event_latency.py and
tests/test_sms_worker_kill.py do that).

Usage:  .venv/bin/python bench/sms_latency.py [--db sqlite|postgresql|both] [--clients 150] [--duration 60]
          [--pg postgresql://postgres@127.0.0.1:5432/test] [--port 5110]
Target (issue 21): inbound → stored → reply handed to the gateway p95 <= 3 s. Benchmarks are not tests:
the figures are printed (docs/PERFORMANCE.md); exit status 1 only if a probe got no reply or a post of the
load was lost or duplicated.
"""
from __future__ import annotations

import sys
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.event_latency import backlog, describe, harness_main  # noqa: E402
from bench.live_app import Server, Worker, drop_scratch_database, prepare_database  # noqa: E402
from bench.load_faults import run_phase  # noqa: E402
from logistics.rules.phones import normalise_phone  # noqa: E402
from siaga.sms.fake_gateway import FakeGateway, serve  # noqa: E402

NUMBERS = 60
PROBERS = 3
PROBE_EVERY_S = 2.0
DRAIN_S = 60.0
LOGIN = {"SMS_USERNAME": "siaga", "SMS_PASSWORD": "bench", "SMS_SIGNING_KEY": "bench-signing-key"}


def arrange(url: str) -> list[str]:
    """NUMBERS officer accounts on the ketua of TPS other than `petugas`'s (the load's); their phones.
    The seed's events are marked dispatched (not the run's)."""
    from sqlalchemy import select, update

    from logistics.models import OutboxEvent, Person, PersonRole, Role, User
    from logistics.timeutil import utcnow
    from siaga import create_app
    from siaga.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        session = db.session
        taken = select(User.person_id).where(User.person_id.is_not(None))
        ketuas = session.execute(select(Person.id, Person.tps_id, Person.phone).where(
            Person.role == PersonRole.KPPS_KETUA, Person.phone.is_not(None), Person.id.not_in(taken))
            .order_by(Person.id).limit(NUMBERS)).all()
        for person_id, tps_id, _phone in ketuas:
            session.add(User(username=f"sms-bench-{person_id}", full_name="SMS bench", password_hash="x",
                             role=Role.FIELD_OFFICER, tps_id=tps_id, person_id=person_id))
        session.execute(update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
        session.commit()
        db.session.remove()
        db.engine.dispose()
    return [phone for _p, _t, phone in ketuas]


class Prober:
    """Texts `HADIR 7` from the next of its numbers every PROBE_EVERY_S, as the gateway's webhook."""

    def __init__(self, url: str, fake: FakeGateway, numbers: list[str], end: float):
        self.url, self.fake, self.numbers, self.end = url + "/sms/webhook", fake, numbers, end
        self.started: dict[str, float] = {}   # message id -> t0
        self.stored: dict[str, float] = {}    # message id -> the webhook's 200
        self.errors: list[str] = []

    def loop(self) -> None:
        http, turn = requests.Session(), 0
        while time.monotonic() < self.end:
            number, turn = self.numbers[turn % len(self.numbers)], turn + 1
            message_id = uuid.uuid4().hex
            body, headers = self.fake.received(number, "HADIR 7", message_id=message_id)
            t0 = time.time()
            self.started[message_id] = t0
            for _attempt in range(20):  # the gateway retries a webhook that failed
                try:
                    response = http.post(self.url, data=body, headers=headers, timeout=30)
                except requests.RequestException as exc:
                    self.errors.append(str(exc)[:80])
                    time.sleep(0.5)
                    continue
                if response.status_code == 200:
                    self.stored[message_id] = time.time()
                    break
                self.errors.append(f"{response.status_code} {response.text[:80]}")
                if response.status_code < 500:
                    break
                time.sleep(0.5)
            time.sleep(PROBE_EVERY_S)


def warm_up(url: str, fake: FakeGateway, number: str, worker: Worker, timeout: float = 300) -> float:
    """Until the worker hands a first reply to the gateway: a worker just started spends its first tens of
    seconds on its start-up jobs (the map grid, the shared figures), which hold its threads and, on
    SQLite, the write turn; a deployed worker has done that long before an SMS comes. Seconds waited."""
    started = time.monotonic()
    body, headers = fake.received(number, "BANTUAN", message_id="warm-up")
    requests.post(url + "/sms/webhook", data=body, headers=headers, timeout=60).raise_for_status()
    while not any(m["phoneNumbers"] == [normalise_phone(number)] for m in list(fake.sent)):
        if not worker.alive() or time.monotonic() - started > timeout:
            raise SystemExit("the worker handed no reply to the gateway; see its log")
        time.sleep(0.2)
    waited = time.monotonic() - started
    print(f"  worker warm-up: the first reply handed after {waited:.1f} s")
    return waited


def handed(url: str, fake: FakeGateway) -> dict[str, float]:
    """Inbound message id -> when the gateway took its reply (the reply's gateway id is siaga-r<outbound id>)."""
    from sqlalchemy import create_engine, select

    from logistics.models import SmsInbound, SmsOutbound

    engine = create_engine(url)
    with engine.connect() as conn:
        of_reply = dict(conn.execute(select(SmsOutbound.id, SmsInbound.message_id)
                                     .join(SmsInbound, SmsOutbound.inbound_id == SmsInbound.id)).all())
    engine.dispose()
    found = {}
    for message in list(fake.sent):
        if message["id"].startswith("siaga-r") and int(message["id"][7:]) in of_reply:
            found.setdefault(of_reply[int(message["id"][7:])], message["at"])
    return found


def run(kind: str, url: str, args, workdir: Path) -> bool:
    demo = prepare_database(url)
    numbers = arrange(demo.database_url)
    fake = FakeGateway(LOGIN["SMS_USERNAME"], LOGIN["SMS_PASSWORD"], LOGIN["SMS_SIGNING_KEY"])
    gateway = serve(fake, port=args.port + 1 if args.port else 0)
    env = {"SMS_GATEWAY": "smsgate", "SMS_GATEWAY_URL": gateway.url, **LOGIN}
    server = Server(demo.database_url, 2, str(workdir / f"gunicorn-{kind}.log"), env)
    if args.port:  # ports of one's own on a shared machine
        server.port, server.url = args.port, f"http://127.0.0.1:{args.port}"
    server.start(timeout=120)  # a shared machine starts it slowly
    worker = Worker(demo.database_url, str(workdir / f"worker-{kind}.log"), env).start()
    try:
        warm_up(server.url, fake, numbers[-1], worker)
        end = time.monotonic() + args.duration
        probers = [Prober(server.url, fake, numbers[i::PROBERS], end) for i in range(PROBERS)]
        threads = [threading.Thread(target=p.loop, daemon=True) for p in probers]
        for thread in threads:
            thread.start()
        load = run_phase("sms", server, demo, args.clients, args.duration)
        for thread in threads:
            thread.join(args.duration + 120)
        started = {m: t for p in probers for m, t in p.started.items()}
        stored = {m: t for p in probers for m, t in p.stored.items()}
        deadline = time.monotonic() + DRAIN_S
        while len(handed(demo.database_url, fake)) < len(stored) and time.monotonic() < deadline:
            time.sleep(0.5)
        replies = handed(demo.database_url, fake)
        left = backlog(demo.database_url)
    finally:
        worker.stop()
        server.stop()
        gateway.shutdown()

    to_stored = [stored[m] - started[m] for m in stored]
    to_reply = [replies[m] - started[m] for m in stored if m in replies]
    stored_to_reply = [replies[m] - stored[m] for m in stored if m in replies]
    errors = [e for p in probers for e in p.errors]
    print(f"== {kind}: {args.clients} clients, {args.duration:.0f} s; {len(started)} SMS probes from "
          f"{len(numbers)} numbers")
    print(f"  load: {load.report().strip()}")
    print(f"  SMS in -> stored (webhook answered 200): {describe(to_stored)}")
    print(f"  stored -> reply handed to the gateway: {describe(stored_to_reply)}")
    print(f"  SMS in -> stored -> reply handed to the gateway: {describe(to_reply)}")
    print(f"  probes not stored: {len(started) - len(stored)}; stored without a reply handed: "
          f"{len(stored) - len(to_reply)}; webhook errors: {len(errors)} {errors[:3]}; outbox left: {left}")
    ok = load.ok and len(to_reply) == len(stored) == len(started)
    drop_scratch_database(demo.database_url)
    return ok


def main() -> int:
    return harness_main(__doc__, "smslat", run, lambda parser: parser.add_argument(
        "--port", type=int, default=0, help="gunicorn's port (the fake gateway's: +1); 0: free ones"))


if __name__ == "__main__":
    sys.exit(main())
