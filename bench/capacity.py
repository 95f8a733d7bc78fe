"""Capacity from measurements (docs/SCALING.md): CPU per request, per event and per stored figure on this
machine, and the national peak's model from them (cores = rate x CPU ms / 1000; SCALING.md doubles it).

One run, one scratch database (<db>_capacity beside --pg's, migrated and seeded like the demo), the clock
at the peak (PEAK_CLOCK: the demo's election day, the lunch round):
  * PostgreSQL alone: pgbench with bench/post.pgbench (a post's statements, no Python), --pg-clients
    connections, extended and prepared protocol (for reference).
  * The worker, in this process: its pass (siaga/worker/outbox.py `deliver_pending`) with its three channels
    against the tests' fakes on threads of their own (tests/push_service.py, siaga/sms/fake_gateway.py over
    HTTP, a webhook receiver): EVENTS_PER_KIND events of each kind (nobody to tell; Web Push to 2 devices;
    SMS to a station's numbers; one partner webhook), CPU of the delivering thread (time.thread_time, so the
    fakes' work is not counted) and of the database's backends. Then the dashboard's stored figures computed
    (siaga/shared_figures.py, what the worker does per scope): one kecamatan's and the whole city's.
  * Two app servers (gunicorn --workers each) behind nginx, sharing the database and Redis
    (scripts/cluster.sh). wrk (-t2, --connections), loopback:
      - one server, directly: the post (POST /api/v1/tps/<id>/officers, a fresh Idempotency-Key each:
        bench/write_path.py's request), each layer of a coordinator's map poll twice: without If-None-Match
        (a poll that finds its view changed) and with the tag it was just given (a 304), the phone's TPS page,
        the dashboard's refresh served from the stored figures, and a partner's API sync page (100 changed
        deliveries);
      - both servers through nginx: the post and the TPS layer.
Prints a table (req/s, p50/p99 ms, failed, and CPU per request: of the app's gunicorn workers and of the
database's server processes, from /proc) with the load average before and after, then the model (MODEL:
the rates of SCALING.md's "The national peak"; a map layer's poll at the share of polls that find their view
changed, `changed_share`, and a 304 otherwise). On a shared machine the rates are lower bounds and the CPU
per request is inflated by the other processes (docs/SCALING.md says by how much).

Needs: wrk, pgbench, nginx, Redis (REDIS_URL), PostgreSQL (--pg). Loopback only; bounded by --duration.
Usage:  .venv/bin/python bench/capacity.py [--pg postgresql://postgres@127.0.0.1:5432/<db>] [--duration 15]
          [--workers 2] [--connections 16] [--pg-clients 8] [--skip pgbench,worker,cluster,nginx]
        .venv/bin/python bench/capacity.py --figures-on postgresql://postgres@127.0.0.1:5432/siaga_national
          (the stored figures on bench/national.py's data set, built there first)
Benchmarks are not tests: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cluster import Cluster, missing_prerequisite  # noqa: E402
from siaga.config import FIGURES_SHARE_S, FIGURES_SHARE_WIDE_S, LIVE_POLL_PUSHED_S  # noqa: E402
from bench.live_app import drop_scratch_database, prepare_database, proc_stat, process_cpu_s, scratch_postgres_url  # noqa: E402
from bench.load_faults import logged_in  # noqa: E402
from bench.write_path import WRK_SCRIPT, parse_wrk  # noqa: E402

BOX = "106.09,-2.15,106.15,-2.10"  # about a kecamatan of the demo city, as a coordinator's map shows it


def cpu_seconds(pids) -> dict[int, float]:
    """utime + stime of each process so far (/proc/<pid>/stat), in seconds."""
    seconds = {pid: process_cpu_s(pid) for pid in pids}
    return {pid: s for pid, s in seconds.items() if s is not None}


class CpuMeter:
    """CPU used by the app servers' workers and by the database's backends between start() and stop()."""

    def __init__(self, cluster: Cluster | None, servers: list[int], database: str):
        self.cluster, self.servers, self.database = cluster, servers, database

    def _app_pids(self) -> list[int]:
        return [pid for n in self.servers for pid in self.cluster.worker_pids(n)] if self.cluster else []

    def _db_pids(self) -> list[int]:
        return _db_backends(self.database)

    def start(self) -> None:
        self.app, self.db = cpu_seconds(self._app_pids()), cpu_seconds(self._db_pids())

    def stop(self, requests: int) -> dict:
        app, db = cpu_seconds(self._app_pids()), cpu_seconds(self._db_pids())
        used = lambda before, after: sum(v - before.get(pid, 0.0) for pid, v in after.items())  # noqa: E731
        return {"app_ms": used(self.app, app) * 1000 / max(requests, 1),
                "db_ms": used(self.db, db) * 1000 / max(requests, 1)}


def settle(meter: CpuMeter, timeout: float = 180) -> None:
    """Wait until the servers have finished what wrk left queued (a slow page's backlog would otherwise be
    counted in the next measurement)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(meter._app_pids()).values())
        time.sleep(1)
        if sum(cpu_seconds(meter._app_pids()).values()) - before < 0.05:
            return


def measured(meter: CpuMeter, run) -> dict:
    settle(meter)
    meter.start()
    result = run()
    result.update(meter.stop(result["requests"]))
    return result


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wrk(url: str, headers: dict, duration: int, connections: int, post: bool = False) -> dict:
    """wrk -t2 with a 10 s timeout (a slow answer on a loaded machine is slow, not failed); posts use
    bench/write_path.py's script (a fresh Idempotency-Key per request)."""
    import tempfile

    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency"]
    script = None
    if post:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT)
        command += ["-s", script.name]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if post:
        command += ["--", str(time.time_ns())]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60).stdout
    if script:
        os.unlink(script.name)
    result = parse_wrk(out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    return result


def pgbench(database_url: str, token_hash: str, tps: tuple[int, int, int], mode: str, clients: int, duration: int
            ) -> dict:
    """`tps`: the active election's (first TPS id, last TPS id, election id): the rows the app's posts touch."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    command = ["pgbench", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
               "-n", "-M", mode, "-c", str(clients), "-j", "2", "-T", str(duration), "-D", f"tps_first={tps[0]}",
               "-D", f"tps_last={tps[1]}", "-D", f"election_id={tps[2]}", "-D", f"token_hash={token_hash}", "-f", str(ROOT / "bench" / "post.pgbench"), url.database]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60,
                         env={**os.environ, "PGPASSWORD": url.password or ""})
    match = re.search(r"tps = ([\d.]+)", out.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    if not match:
        raise RuntimeError("pgbench gave no result:\n" + out.stdout + out.stderr)
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    done = re.search(r"number of transactions actually processed: (\d+)", out.stdout)
    return {"rps": float(match.group(1)), "p50": float(latency.group(1)) if latency else 0.0, "p99": 0.0,
            "failed": int(failed.group(1)) if failed else 0, "requests": int(done.group(1)) if done else 0}


def _pgbench_backends(database: str) -> list[int]:
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
                          f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}' "
                          "AND application_name = 'pgbench'"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def pgbench_measured(meter: CpuMeter, database_url: str, token_hash: str, tps: tuple[int, int, int], mode: str,
                     args) -> dict:
    """pgbench's backends exist only while it runs: sample their CPU just before it ends."""
    import threading

    samples: dict[int, float] = {}
    done = threading.Event()

    def sample():
        while not done.wait(0.5):
            samples.update(cpu_seconds(meter._db_pids()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = pgbench(database_url, token_hash, tps, mode, args.pg_clients, args.duration)
    done.set()
    sampler.join()
    result["db_ms"] = sum(samples.values()) * 1000 / max(result["requests"], 1)  # backends start at ~0 CPU
    return result



# --- The worker: CPU per event, and per recipient of each channel ----------------------------------------
# Measured in this process (`deliver_pending`, the worker's pass, with the worker's channels), the fake
# services (the tests' push service, the fake SMS gateway, a webhook receiver) on threads of their own: the
# worker's CPU is this thread's (time.thread_time), so the fakes' decrypting and verifying is not counted.
# PostgreSQL's is every backend of the scratch database (nothing else connects to it meanwhile).

EVENTS_PER_KIND = 200
PEAK_CLOCK = "2025-08-27T12:10:00+07:00"  # the demo's election day, lunch round: the model's peak


def _webhook_receiver():
    """A partner's endpoint: reads the request, answers 204 (what a receiver that verifies and queues does)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/siaga-hook"
    return server


def _db_backends(database: str) -> list[int]:
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
                          f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}'"],
                         capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _ended_children_seconds(pid: int) -> float:
    """CPU of the processes `pid` started that have ended and been waited for (/proc/<pid>/stat cutime +
    cstime): for the postmaster, its parallel workers, which start and end within one statement, so
    `_db_backends` never lists them (and any backend of another database that ended meanwhile)."""
    fields = proc_stat(pid)
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK") if fields is not None else 0.0


class InProcessMeter:
    """This thread's CPU and the database backends' CPU around a piece of work; `ended_s`, the CPU of the
    database's processes that ended meanwhile (parallel workers: `_ended_children_seconds`)."""

    def __init__(self, database: str):
        self.database = database

    def __enter__(self):
        from sqlalchemy import text

        from siaga.extensions import db

        db.session.execute(text("SELECT 1"))  # the session's connection exists before the first reading
        db.session.rollback()
        backends = _db_backends(self.database)
        self.db0 = cpu_seconds(backends)
        stat = proc_stat(backends[0]) if backends else None
        self.postmaster = int(stat[1]) if stat else 0
        self.ended0 = _ended_children_seconds(self.postmaster)
        self.app0 = time.thread_time()
        return self

    def __exit__(self, *exc):
        self.app_s = time.thread_time() - self.app0
        after = cpu_seconds(_db_backends(self.database))
        self.db_s = sum(v - self.db0.get(pid, 0.0) for pid, v in after.items())
        self.ended_s = _ended_children_seconds(self.postmaster) - self.ended0


def worker_and_figure_rows(database_url: str) -> list[tuple[str, dict]]:
    """CPU per event of the worker for each channel, and per stored dashboard figure computed."""
    from py_vapid import Vapid
    from py_vapid.utils import b64urlencode
    from sqlalchemy import func, select, update

    from logistics.actor import Actor
    from logistics.events import Event, EventKind, raise_event
    from logistics.models import Delivery, HealthIncident, MedicStation, OutboxEvent, TpsCoverage, User
    from logistics.services.push_subscriptions import subscribe
    from logistics.services.webhooks import create_subscription
    from logistics.timeutil import utcnow
    from siaga import create_app
    from siaga.extensions import db
    from siaga.sms.fake_gateway import FakeGateway, serve
    from siaga.worker import sms as sms_channel
    from siaga.worker.channels import channels_for
    from siaga.worker.outbox import deliver_pending
    from tests import push_service

    service, push_server = push_service.start()
    fake = FakeGateway("siaga", "bench", "bench-signing-key")
    gateway = serve(fake)
    receiver = _webhook_receiver()
    key = Vapid()
    key.generate_keys()
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "ELECTION_CLOCK": PEAK_CLOCK,
        "VAPID_PRIVATE_KEY": b64urlencode(key.private_key.private_numbers().private_value.to_bytes(32, "big")),
        "VAPID_SUBJECT": "mailto:ops@siaga-tps.invalid", "SMS_GATEWAY": "smsgate", "SMS_GATEWAY_URL": gateway.url,
        "SMS_USERNAME": "siaga", "SMS_PASSWORD": "bench", "SMS_SIGNING_KEY": "bench-signing-key"})
    database = database_url.rsplit("/", 1)[1].split("?")[0]
    rows: list[tuple[str, dict]] = []
    try:
        with app.app_context():
            session = db.session
            system = Actor.system("bench")
            session.execute(update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
            officer = session.scalar(select(User).where(User.username == "petugas"))
            tps_id = officer.tps_id
            delivery = session.scalar(select(Delivery).where(Delivery.tps_id == tps_id).order_by(Delivery.id).limit(1))
            kecamatan_id = delivery.tps.kelurahan.kecamatan_id
            station_id = session.scalar(select(TpsCoverage.medic_station_id).where(TpsCoverage.tps_id == tps_id))
            station = session.get(MedicStation, station_id)
            station.contact_phone = station.contact_phone or "+6281200000001"
            incident_id = session.scalar(select(func.min(HealthIncident.id))) or 1
            session.commit()
            channels = channels_for(app)
            assert {c.name for c in channels} == {"webpush", "sms", "webhook"}, [c.name for c in channels]

            def delivery_data(kind: str) -> dict:
                return {"tps_id": tps_id, "courier_id": delivery.courier_id, "status": kind, "kind": "meal",
                        "meal_round": "siang", "item": None, "drill": False, "by_user": None, "by_person": None}

            def measure(label: str, make_event, per: str) -> dict:
                for _ in range(EVENTS_PER_KIND):
                    raise_event(session, make_event())
                session.commit()
                sends = {"sent": 0, "failed": 0}
                with InProcessMeter(database) as meter:
                    while True:
                        report = deliver_pending(session, channels)
                        sends["sent"] += report.sent
                        sends["failed"] += report.failed
                        if not report.events:
                            break
                left = session.scalar(select(func.count()).select_from(OutboxEvent)
                                      .where(OutboxEvent.dispatched_at.is_(None)))
                session.rollback()
                result = {"requests": EVENTS_PER_KIND, "app_ms": meter.app_s * 1000 / EVENTS_PER_KIND,
                          "db_ms": meter.db_s * 1000 / EVENTS_PER_KIND, "sent": sends["sent"],
                          "failed": sends["failed"] + left, "per": per}
                rows.append((label, result))
                print(f"  {label}: app {result['app_ms']:.2f} ms, db {result['db_ms']:.2f} ms per event, "
                      f"{sends['sent']} sent, {result['failed']} failed/left", flush=True)
                return result

            # 1. The meal confirmation's event: nobody subscribed to it (no partner yet).
            measure("worker: delivery.received (the confirmation's event), nobody to tell",
                    lambda: Event(EventKind.DELIVERY_RECEIVED, "delivery", delivery.id, kecamatan_id,
                                  delivery_data("received")), "event")
            # 2. The courier's "arrived": Web Push to the TPS's officer, on 2 devices.
            for _ in range(2):
                device = service.subscribe().subscription_json()
                subscribe(session, Actor.from_user(officer), device["endpoint"], device["keys"]["p256dh"],
                          device["keys"]["auth"], "bench")
            measure("worker: delivery.arrived → Web Push to the officer's 2 devices",
                    lambda: Event(EventKind.DELIVERY_ARRIVED, "delivery", delivery.id, kecamatan_id,
                                  delivery_data("arrived")), "push")
            # 3. A merah at the station: SMS to the station's phone and its medics without push. Its numbers
            # hear of 200 merah in a minute here, past the per-number limit (NOTICE_LIMIT): the limit's count
            # still runs, but does not refuse (at the peak, the merah are at thousands of stations).
            sms_channel.NOTICE_LIMIT = 10**9
            measure("worker: incident.reported merah → SMS (station phone, medics without push)",
                    lambda: Event(EventKind.INCIDENT_REPORTED, "health_incident", incident_id, kecamatan_id,
                                  {"triage": "merah", "status": "reported", "medic_station_id": station_id,
                                   "tps_id": tps_id, "by_user": None, "by_person": None}), "sms")
            # 4. A partner subscribed to the confirmations: one signed webhook per event.
            create_subscription(session, system, agency="Dinkes", url=receiver.url, kinds=["delivery.received"])
            measure("worker: delivery.received → 1 partner webhook",
                    lambda: Event(EventKind.DELIVERY_RECEIVED, "delivery", delivery.id, kecamatan_id,
                                  delivery_data("received")), "webhook")

            # The stored dashboard figures, computed by the worker once per scope and staleness.
            from maps.dashboard import ALERTS_SHOWN, EXAMPLES_PER_SOURCE
            from logistics.models import Kecamatan
            from siaga.shared_figures import FIGURES, TOGETHER

            compute = FIGURES["dashboard"]
            # A kecamatan's figures are computed with every kecamatan of its kota (the worker's pass): its
            # cost is the pass's divided by the kota's kecamatan.
            kota = session.scalar(select(Kecamatan.kota_id).where(Kecamatan.id == 5))
            per_pass = session.scalar(select(func.count(Kecamatan.id)).where(Kecamatan.kota_id == kota))
            session.rollback()
            for label, run, share, runs in (
                    (f"worker: dashboard figures computed, a kecamatan's (52 TPS; its kota's {per_pass} together, "
                     "per kecamatan)", lambda: TOGETHER["dashboard"](ids=(5,), examples=ALERTS_SHOWN), per_pass, 5),
                    ("worker: dashboard figures computed, the whole city's (319 TPS)",
                     lambda: compute(ids=None, examples=EXAMPLES_PER_SOURCE), 1, 5)):
                run()  # warm
                session.rollback()
                with InProcessMeter(database) as meter:
                    for _ in range(runs):
                        run()
                        session.rollback()
                rows.append((label, {"requests": runs * share, "app_ms": meter.app_s * 1000 / runs / share,
                                     "db_ms": meter.db_s * 1000 / runs / share, "per": "figure"}))
                print(f"  {label}: app {rows[-1][1]['app_ms']:.1f} ms, db {rows[-1][1]['db_ms']:.1f} ms", flush=True)
            db.session.remove()
            db.engine.dispose()
    finally:
        for server in (push_server, gateway, receiver):
            server.shutdown()
    return rows


# --- The model: the national peak's rates (docs/SCALING.md, "The national peak") --------------------------
# (key of the measured row, what, rate per second at the peak, where the rate comes from)
TPS, KECAMATAN, KOTA, PROVINSI = 820_000, 7_300, 514, 38
SCREENS = KECAMATAN + 2 * KOTA + 3 * PROVINSI + 20          # coordinators' screens, map and dashboard open
POSTS = TPS / 900                                           # every TPS confirms a meal round within 15 min
ARRIVALS = TPS / 3600                                       # the couriers' "sampai", over the round's hour
PARTNERS = 4                                                # Dinkes, KPU, Bawaslu, TNI-Polri (docs/SECURITY.md)
# How often stored figures are computed at the peak (siaga/shared_figures.py): a kota's kecamatan together,
# once FIGURES_SHARE_S has passed and the next of its ≈ 14 screens (one per 2 s) looks, plus the worker's
# 1 s poll; a wider scope once FIGURES_SHARE_WIDE_S has passed (its screens look every few seconds).
KECAMATAN_PASS_S = FIGURES_SHARE_S + 30 / (KECAMATAN / KOTA) + 1
WIDE_PASS_S = FIGURES_SHARE_WIDE_S + 1
INCIDENTS = 3.0                                             # incidents reported per second at the peak (assumed)
# Officers' phones with their TPS page on screen at the lunch peak (assumed; a page checks every 5 s while on
# screen, siaga/static/js/live.js; a phone with its screen off or the browser in the background does not run
# the page's timers): most checks find nothing changed, a 304.
ON_SCREEN = 0.10
# Of those, the share on a browser holding a push subscription (assumed: officers are asked to tap "Aktifkan
# notifikasi" at their briefing): such a page checks every LIVE_POLL_PUSHED_S instead of 5 s, and at once when a
# push for its officer arrives (the arrivals, counted once more).
PUSHED = 0.5
CHECKS = TPS * ON_SCREEN * ((1 - PUSHED) / 5 + PUSHED / LIVE_POLL_PUSHED_S) + ARRIVALS * ON_SCREEN
# The map's layers (maps/data.py). A poll downloads its layer only when something its view shows changed since
# the last one, else it is a 304. The TPS and incidents layers' tags are the counters of the map cells their
# box covers (logistics/services/data_versions.py `drawn_in`; before that, and in a tree without it, the
# tables' counters: every change in the country). Assumed changes at the peak (per second, the country):
MAP_POLL_S = 10                                             # siaga-map.js: every 10 s; stations every 6th poll
TPS_CHANGES = TPS * 4 / (6 * 3600)                          # a TPS's steps and attendance reports, ~4 in the
#                                                             six voting hours (the status colour's changes)
STATION_CHANGES = 1 / 60                                    # a station, its medics or its coverage edited:
#                                                             about one a minute in the country
# What a screen's view holds, as a share of the country's TPS (assumed; the tags read the map cells the box
# covers, 0.05° squares for a kecamatan's view, 0.5° for a wider one, data_versions.CELL_LEVELS): a kecamatan's
# screen (≈ 112 TPS) shows its kecamatan, and its cells reach around it: about three kecamatan's TPS; a kota's
# (≈ 1,600 TPS, ≈ 3,700 km²) in the 0.5° cells around it, about three kota's; a province's about one and a half
# provinces'; the national room's, wider than 4°, the country. Screens per level: SCREENS' terms.
VIEW_SHARES = ((KECAMATAN, 3 / KECAMATAN), (2 * KOTA, 3 / KOTA), (3 * PROVINSI, 1.5 / PROVINSI), (20, 1.0))


def tags_scoped() -> bool:
    """Whether this tree's map tags are scoped to the view (the bench also measures the tree before them)."""
    from logistics.services import data_versions

    return hasattr(data_versions, "drawn_in")


def changed_share(changes_per_s: float, interval_s: float, scoped: bool) -> float:
    """The share of a layer's polls (one every `interval_s` per screen) that find their view changed, over the
    screens: 1 - exp(-changes in view x interval) per screen (changes arriving at random)."""
    views = VIEW_SHARES if scoped else ((SCREENS, 1.0),)
    return sum(n * (1 - math.exp(-changes_per_s * view * interval_s)) for n, view in views) / SCREENS


# The layers' polls: (key, its measured rows: full and 304, changes/s its tag follows, poll interval, scoped
# to the view here)
LAYERS = (("tps", TPS_CHANGES, MAP_POLL_S, True), ("incidents", INCIDENTS, MAP_POLL_S, True),
          ("stations", STATION_CHANGES, 6 * MAP_POLL_S, False))
MODEL = [
    ("post", "meal confirmation (post)", POSTS, "820,000 TPS / 900 s"),
    ("phone", "the phone's TPS page", POSTS, "one per post (upper bound)"),
    ("idle", "an open field page's live check, nothing changed (304)", CHECKS,
     f"{ON_SCREEN:.0%} of TPS officers' phones on the page (assumed), {1 - PUSHED:.0%} of them every 5 s, "
     f"{PUSHED:.0%} with Web Push every {LIVE_POLL_PUSHED_S:.0f} s (assumed)"),
    ("tps_polled", "map: TPS layer", SCREENS / MAP_POLL_S, "every screen every 10 s"),
    ("incidents_polled", "map: incidents layer", SCREENS / MAP_POLL_S, "every screen every 10 s"),
    ("stations_polled", "map: stations + facilities layers", 2 * SCREENS / (6 * MAP_POLL_S), "each every 6th poll"),
    ("dash_kec", "dashboard refresh (served from the stored figures)", SCREENS / 30, "every screen every 30 s"),
    ("sync", "API sync page (100 changed deliveries)", PARTNERS * (POSTS + ARRIVALS) / 100,
     f"{PARTNERS} partners following every delivery change"),
    ("event", "worker: an event, nobody to tell", POSTS + ARRIVALS + INCIDENTS,
     "confirmations + arrivals + incidents"),
    ("push", "worker: a Web Push, per device", ARRIVALS, "an arrival to the TPS officer's phone"),
    ("sms", "worker: an SMS, per number", INCIDENTS * 0.1 * 3, "merah: 10% of incidents, 3 numbers each"),
    ("webhook", "worker: a webhook, per partner subscription", PARTNERS * INCIDENTS,
     f"{PARTNERS} partners on the incidents"),
    ("fig_kec", "worker: dashboard figures, a kecamatan's (its kota's pass, the kota's own figures included)",
     KECAMATAN / KECAMATAN_PASS_S,
     f"each kota's pass every ≈ {KECAMATAN_PASS_S:.0f} s (FIGURES_SHARE_S + the next screen's look + the worker)"),
    ("fig_city", "worker: dashboard figures, a province's", PROVINSI / WIDE_PASS_S,
     f"once per ≈ {WIDE_PASS_S:.0f} s each (FIGURES_SHARE_WIDE_S; a demo city's cost)"),
]
WORKER_KEYS = ("event", "push", "sms", "webhook", "fig_kec", "fig_city")


def per_item(rows: dict[str, dict]) -> dict[str, dict]:
    """CPU per model item: a request's own; an event's base; a send's = (its event's - the base) / sends per event."""
    found = {key: {"app_ms": r.get("app_ms", 0.0), "db_ms": r.get("db_ms", 0.0)} for key, r in rows.items()}
    base = rows.get("event")
    for key in ("push", "sms", "webhook"):
        r = rows.get(key)
        if r and base and r.get("sent"):
            per_event = r["sent"] / r["requests"]
            found[key] = {"app_ms": max(r["app_ms"] - base["app_ms"], 0.0) / per_event,
                          "db_ms": max(r["db_ms"] - base["db_ms"], 0.0) / per_event}
    scoped = tags_scoped()
    for key, changes, interval, scopable in LAYERS:
        full, quiet = found.get(key), found.get(f"{key}_304")
        if full is None or quiet is None:
            continue
        share = changed_share(changes, interval, scoped and scopable)
        found[f"{key}_polled"] = {
            **{unit: share * full[unit] + (1 - share) * quiet[unit] for unit in ("app_ms", "db_ms")},
            "note": f"; {share:.1%} of polls find a change ({changes:,.2f} changes/s in the country, "
                    f"{'tags of the view' if scoped and scopable else 'national tags'}): full "
                    f"{full['app_ms']:.2f} / {full['db_ms']:.2f} ms, 304 {quiet['app_ms']:.2f} / {quiet['db_ms']:.2f}"}
    return found


def print_model(rows: dict[str, dict]) -> None:
    costs = per_item(rows)
    print("\n| request | rate at the peak | from | app CPU ms | PostgreSQL CPU ms | app cores | PostgreSQL cores |\n"
          "|---|---|---|---|---|---|---|")
    app_total = db_total = worker_app = 0.0
    for key, name, rate, source in MODEL:
        cost = costs.get(key)
        if cost is None:
            print(f"| {name} | {rate:,.0f}/s | {source} | not measured | | | |")
            continue
        app, dbc = rate * cost["app_ms"] / 1000, rate * cost["db_ms"] / 1000
        app_total, db_total = app_total + app, db_total + dbc
        worker_app += app if key in WORKER_KEYS else 0.0
        print(f"| {name} | {rate:,.0f}/s | {source}{cost.get('note', '')} | {cost['app_ms']:.2f} | {cost['db_ms']:.2f} | {app:.1f} | {dbc:.1f} |")
    print(f"| **total** | | | | | **{app_total:.1f}** | **{db_total:.1f}** |")
    print(f"\nDoubled for headroom: **{2 * app_total:.0f} app cores, {2 * db_total:.0f} PostgreSQL cores** "
          f"(goal: ≤ 24 and ≤ 8). Of the app's, the worker's part: {worker_app:.1f} cores "
          "(one worker process runs on at most one core: run several on PostgreSQL, DEPLOY.md).")


KOTA_SAMPLE = 12  # kota whose passes are measured (every 43rd of the synthetic nation's, in code order)


def figures_at_national_size(database_url: str, rounds: int = 3) -> int:
    """The dashboard's stored figures computed on bench/national.py's data set (built there, with statistics)
    as the worker computes them (siaga/shared_figures.py `refresh_wanted(claim=True)`: claimed, computed,
    stored): kota passes (each kota's kecamatan and the kota's own, KOTA_SAMPLE kota spread over the country,
    `rounds` times), every province's figures (one round) and the nation's; CPU of this thread and of the
    backends, and their cores at the peak (SCALING.md, "At national size")."""
    from sqlalchemy import func, select, update

    from logistics.election_scope import active_election_id
    from siaga import create_app, figure_codec, shared_figures
    from siaga.config import normalise_database_url
    from siaga.extensions import db

    url = normalise_database_url(database_url)
    # Stored as on the day (the testing environment this runs in stores none)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ELECTION_CLOCK": PEAK_CLOCK,
                      "FIGURES_SHARE_S": FIGURES_SHARE_S, "FIGURES_SHARE_WIDE_S": FIGURES_SHARE_WIDE_S})
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average before: {load_average()}", flush=True)
    with app.app_context():
        from logistics.models import Kecamatan, Kelurahan, Kota, Tps
        from maps.dashboard import ALERTS_SHOWN, EXAMPLES_PER_SOURCE

        session, table = db.session, shared_figures.TABLE
        # bench/national.py's kota: every one but the demo's (its areas carry the real Kemendagri codes; its
        # TPS codes end in -Nnnn)
        demo = (select(Kecamatan.kota_id).join(Kelurahan, Kelurahan.kecamatan_id == Kecamatan.id)
                .join(Tps, Tps.kelurahan_id == Kelurahan.id).where(~Tps.code.like("%-N%")))
        kotas = list(session.scalars(select(Kota.id).where(Kota.id.not_in(demo)).order_by(Kota.kode_kemendagri)))
        sample = kotas[::max(len(kotas) // KOTA_SAMPLE, 1)][:KOTA_SAMPLE]
        kecamatan = session.execute(select(Kecamatan.id, Kecamatan.kota_id, func.substr(Kota.kode_kemendagri, 1, 2))
                                    .join(Kota)).all()
        of_kota: dict[int, list[int]] = {}
        of_province: dict[str, list[int]] = {}
        for kec_id, kota_id, province in kecamatan:
            of_kota.setdefault(kota_id, []).append(kec_id)
            of_province.setdefault(province, []).append(kec_id)
        tps_of = dict(session.execute(select(Kecamatan.kota_id, func.count(Tps.id)).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
                                      .join(Kecamatan).where(Kecamatan.kota_id.in_(sample)).group_by(Kecamatan.kota_id)).all())
        session.rollback()
        # The params a screen asks for (maps/dashboard.py `_request_figures`): a kecamatan's (its kota's pass
        # computes it), a province coordinator's (its kecamatan), the nation's.
        passes = [{"ids": (min(of_kota[k]),), "examples": ALERTS_SHOWN} for k in sample]
        provinces = [{"ids": tuple(sorted(ids)), "examples": EXAMPLES_PER_SOURCE} for ids in of_province.values()]
        nation = [{"ids": None, "examples": EXAMPLES_PER_SOURCE}]
        database = url.rsplit("/", 1)[1]

        def stored_keys(scopes: list[dict]) -> list[str]:
            shared_figures.forget()
            for params in scopes:  # computed and stored once, as a reader's first request does (warms the caches)
                shared_figures.snapshot("dashboard", **params).value
                session.rollback()
            return [shared_figures._key("dashboard", figure_codec.dumps(p), active_election_id(session)) for p in scopes]

        def measured(keys: list[str], runs: int) -> tuple[float, float, float, float, int]:
            """app s, database s, ended processes' s, wall s, computations stored: `runs` rounds of the worker's
            job, every key wanted."""
            app_s = db_s = ended_s = wall = 0.0
            stored = 0
            for _ in range(runs):
                with db.engine.begin() as connection:  # a reader found each stale
                    connection.execute(update(table).where(table.c.key.in_(keys)).values(wanted_at=table.c.computed_at))
                began = time.perf_counter()
                with InProcessMeter(database) as meter:
                    stored += shared_figures.refresh_wanted(claim=True)
                wall += time.perf_counter() - began
                app_s, db_s, ended_s = app_s + meter.app_s, db_s + meter.db_s, ended_s + meter.ended_s
            return app_s, db_s, ended_s, wall, stored

        mean_kecamatan = sum(len(of_kota[k]) for k in sample) / len(sample)
        mean_tps = sum(tps_of.get(k, 0) for k in sample) / len(sample)
        print(f"sample: {len(sample)} kota of {len(kotas)}, {mean_kecamatan:.1f} kecamatan and {mean_tps:.0f} TPS "
              f"each on average (the nation: {KECAMATAN / KOTA:.1f} and {TPS / KOTA:.0f}); "
              f"{len(provinces)} provinces", flush=True)
        print("| computations (as the worker: claimed, computed, stored) | each: app CPU ms | PostgreSQL CPU ms "
              "(+ processes ended meanwhile: parallel workers) | wall ms | at the peak | app cores | "
              "PostgreSQL cores |\n|---|---|---|---|---|---|---|")
        total_app = total_db = 0.0
        for label, scopes, runs, rate in (
                (f"a kota's pass (its kecamatan and the kota), {len(sample)} kota × {rounds} rounds", passes, rounds,
                 KOTA / KECAMATAN_PASS_S),
                (f"a province's figures, all {len(provinces)} × 1", provinces, 1, PROVINSI / WIDE_PASS_S),
                ("the nation's figures, × 2", nation, 2, 1 / WIDE_PASS_S)):
            keys = stored_keys(scopes)
            app_s, db_s, ended_s, wall, stored = measured(keys, runs)
            app_ms, db_ms, ended_ms = app_s * 1000 / stored, db_s * 1000 / stored, ended_s * 1000 / stored
            total_app, total_db = total_app + rate * app_ms / 1000, total_db + rate * (db_ms + ended_ms) / 1000
            print(f"| {label} | {app_ms:.1f} | {db_ms:.1f} (+ {ended_ms:.1f}) | {wall * 1000 / stored:.0f} | "
                  f"{rate:.2f}/s | {rate * app_ms / 1000:.2f} | {rate * (db_ms + ended_ms) / 1000:.2f} |", flush=True)
        shared_figures.forget()
        print(f"| **the stored figures at national size** | | | | | **{total_app:.1f}** | **{total_db:.1f}** |")
    print(f"load average after: {load_average()}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pg-clients", type=int, default=8)
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out: pgbench,worker,cluster,nginx")
    parser.add_argument("--figures-on", metavar="URL", help="only the stored figures, on bench/national.py's database")
    args = parser.parse_args()
    if args.figures_on:
        os.environ.setdefault("SIAGA_ENV", "testing")
        return figures_at_national_size(args.figures_on)
    skip = set(filter(None, args.skip.split(",")))
    os.environ.setdefault("SIAGA_ENV", "testing")
    url = scratch_postgres_url(args.pg, "capacity")
    reason = missing_prerequisite(url, os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    if reason:
        raise SystemExit(reason)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"commit {commit}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs; "
          f"load average before: {load_average()}", flush=True)
    demo = prepare_database(url)
    # The planner's statistics, as a database that has lived a while has them (autovacuum's ANALYZE): on the
    # freshly seeded tables it estimates a few rows where there are hundreds, and one statement of the
    # dashboard's figures (the login readiness per kecamatan) took ~50 ms in a nested loop instead of < 1 ms.
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", demo.database_url.rsplit("/", 1)[1],
                    "-qc", "ANALYZE"], check=True)
    rows: list[tuple[str, dict]] = []
    keyed: dict[str, dict] = {}

    from sqlalchemy import create_engine, func, select, text

    engine = create_engine(demo.database_url)
    with engine.connect() as conn:
        token_hash = conn.execute(text("SELECT token_hash FROM api_token WHERE name = 'bench-officer'")).scalar_one()
        from bench.election_rows import active_election_id
        from logistics.models import Tps

        election_id = active_election_id(conn)  # a Core read: it names the election (the demo holds a past one)
        first, last = conn.execute(select(func.min(Tps.id), func.max(Tps.id))
                                   .where(Tps.election_id == election_id)).one()
        tps = (first, last, election_id)
    engine.dispose()
    database = demo.database_url.rsplit("/", 1)[1]
    if "pgbench" not in skip:
        for mode in ("extended", "prepared"):
            meter = CpuMeter(None, [], database)
            meter._db_pids = lambda: _pgbench_backends(database)  # pgbench's own connections, found when they exist
            rows.append((f"PostgreSQL alone: a post's statements (pgbench -M {mode}, {args.pg_clients} clients; "
                         "latency column: mean)",
                         pgbench_measured(meter, demo.database_url, token_hash, tps, mode, args)))
            print(f"  {rows[-1][0]}: {rows[-1][1]['rps']:.0f}/s", flush=True)

    if "worker" not in skip:
        worker_rows = worker_and_figure_rows(demo.database_url)
        rows += worker_rows
        for (_label, result), key in zip(worker_rows, ("event", "push", "sms", "webhook", "fig_kec", "fig_city")):
            keyed[key] = result

    # Plain http on loopback: not "production" (its cookies are https-only); the same code otherwise. The clock
    # stands at the peak (the demo's election day, the lunch round), as in the worker's measurement.
    if "cluster" not in skip:
        with Cluster(demo.database_url, servers=2, workers=args.workers,
                     env={"SIAGA_ENV": "development", "ELECTION_CLOCK": PEAK_CLOCK}) as cluster:
            one, both = cluster.server_urls[0], cluster.url
            post_headers = {"Authorization": f"Bearer {demo.officer_token}", "Content-Type": "application/json"}
            coordinator = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in logged_in(one, "koordinator").cookies)}
            officer = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in logged_in(one, "petugas").cookies)}
            partner = {"Authorization": f"Bearer {demo.reader_token}"}
            reads = {  # key: (name, path, who)
                "tps": ("map poll: TPS layer (kecamatan zoom)",
                        f"/map/data/tps.geojson?bbox={BOX}&zoom=14&color=status", coordinator),
                "incidents": ("map poll: incidents layer", f"/map/data/incidents.geojson?bbox={BOX}", coordinator),
                "stations": ("map poll: stations layer (every 6th poll)", f"/map/data/stations.geojson?bbox={BOX}",
                             coordinator),
                "phone": ("phone: the officer's TPS page (before a post)", f"/lapangan/tps/{demo.tps_id}", officer),
                "idle": ("phone: an open TPS page's live check, nothing changed (304)", f"/lapangan/tps/{demo.tps_id}",
                         officer),
                "dash_kec": ("dashboard refresh (every 30 s), one kecamatan's (52 TPS), stored figures",
                             "/dashboard?partial=1&kecamatan=5", coordinator),
                "dash_city": ("dashboard refresh (every 30 s), the whole city's (319 TPS), stored figures",
                              "/dashboard?partial=1", coordinator),
                "sync": ("API sync: a page of 100 changed deliveries (partner token)",
                         "/api/v1/deliveries?updated_since=2025-08-26T00:00:00%2B07:00&limit=100", partner),
            }
            for key in ("tps", "incidents", "stations"):  # each layer's poll again with the tag it was given
                name, path, who = reads[key]
                reads[f"{key}_304"] = (f"{name}, nothing changed in view (304)", path, who)
            post = f"/api/v1/tps/{demo.tps_id}/officers"
            wrk(one + post, post_headers, 3, args.connections, post=True)  # warm: imports, pools, first queries
            for name, path, who in reads.values():
                wrk(one + path, who, 1, 2)  # warm, and the dashboards' figures stored before they are measured
            targets = [(one, f"one app server ({args.workers} workers), direct", [1])]
            if "nginx" not in skip:
                targets.append((both, f"two app servers ({args.workers} workers each) behind nginx", [1, 2]))
            for base, label, servers in targets:
                meter = CpuMeter(cluster, servers, database)
                rows.append((f"{label}: post", measured(meter, lambda: wrk(base + post, post_headers, args.duration,
                                                                             args.connections, post=True))))
                if base == one:
                    keyed["post"] = rows[-1][1]
                print(f"  {rows[-1][0]}: {rows[-1][1]['rps']:.0f}/s", flush=True)
                for key, (name, path, who) in reads.items():
                    if base == both and key != "tps":
                        continue
                    if key == "idle" or key.endswith("_304"):  # the tag as it is now (the posts changed it)
                        who = {**who, "If-None-Match": urllib.request.urlopen(urllib.request.Request(
                            base + path, headers=who)).headers["ETag"]}
                    rows.append((f"{label}: {name}", measured(meter, lambda: wrk(
                        base + path, who, args.duration, args.connections))))
                    if base == one:
                        keyed[key] = rows[-1][1]
                    print(f"  {rows[-1][0]}: {rows[-1][1]['rps']:.0f}/s", flush=True)
    drop_scratch_database(demo.database_url)
    print(f"\ncommit {commit}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"load average after: {load_average()}\n")
    print("| what | req/s | p50 ms | p99 ms | failed (of which non-2xx/3xx) | app CPU ms/req | "
          "PostgreSQL CPU ms/req |\n|---|---|---|---|---|---|---|")
    for name, r in rows:
        if "per" in r:  # measured in process: CPU per event or figure, no rate
            print(f"| {name} | — | — | — | {r.get('failed', 0)} | {r['app_ms']:.2f} | {r['db_ms']:.2f} |")
            continue
        p99 = f"{r['p99']:.0f}" if r["p99"] else "—"
        app_ms = f"{r['app_ms']:.1f}" if r.get("app_ms") else "—"
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.0f} | {p99} | {r['failed']} ({r.get('non2xx', 0)}) | {app_ms} | {r.get('db_ms', 0):.1f} |")
    print_model(keyed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
