"""Load-and-fault harness: do election-day posts survive load, crashed workers and a database restart,
each stored exactly once?

N concurrent clients (threads, loopback only) for T seconds against gunicorn (2 sync workers) on a
scratch database, mixing
  * phone form posts: a logged-in field officer's session, the CSRF token from the field page, the
    offline queue's hidden `idempotency_key` field (POST /lapangan/kejadian, plain form, 302),
  * API token posts: POST /api/v1/incidents with an Idempotency-Key header,
  * reads: /map, /dashboard, /map/data/tps.geojson, /api/v1/tps.
Every post carries a unique marker (in the incident's notes) so it can be found in the database.
Clients retry like the phones' queue: the same key again on a network error, a 5xx or a 409
`idempotency_in_progress`, after Retry-After (capped). Afterwards the database is checked: every
post acknowledged with 2xx/3xx is stored exactly once (0 lost), no marker is stored twice (0
duplicated), and outside a database outage no request got a 5xx (during one: 503 + Retry-After).

Phases, each on the same server and database:
  steady    no faults
  kill      kill -9 of a gunicorn worker at T/3 and 2T/3 (the master starts a new one)
  db        PostgreSQL only: the database is stopped for 5 s at T/2 and started again. This uses a
            throwaway cluster of the harness's own (initdb under /tmp, port --own-pg-port, run as the
            `postgres` user), never a shared server.
  (any)     the worker (`flask worker`) runs beside the server(s), as in production; with --drill, the
            README's demo as it serves: the election day is today and a drill (gladi, `flask drill
            --speed 30`, played by the worker) plays it beside the clients, through the same faults; the
            worker must still be running after each phase, the drill's events applied.
  server    --servers 2 or more only: app server 1 is stopped as planned (out of nginx, drained,
            SIGTERM) at T/4 and started again; app server 2 is killed -9 (master and workers) at 3T/4,
            and at least 10 s after server 1 is back.

--servers N (PostgreSQL only): instead of one gunicorn, N app servers behind nginx sharing the database
and Redis (scripts/cluster.sh, bench/cluster.py); the clients post through nginx. nginx answers 502 for
a request in flight on a killed server; clients retry it like any 5xx, and those 502s are reported
apart (they are not the app's). --workers sets gunicorn's workers per server (default 2).

Needs: gunicorn and requests in the venv; for PostgreSQL Debian's postgresql server binaries
(initdb, pg_ctl under /usr/lib/postgresql/<version>/bin) and root (to run them as `postgres`), or
--pg URL of a server it may create a scratch database on (then no `db` phase). Installs nothing.

Usage:  .venv/bin/python bench/load_faults.py [--db sqlite|postgresql|both] [--clients 150]
          [--duration 60] [--phases steady,kill,db,server] [--own-pg-port 55432] [--pg URL]
          [--servers 1] [--workers 2] [--redis redis://127.0.0.1:6379/0] [--drill]
Exit status 1 if any check fails. Benchmarks are not tests: no time is asserted.
"""
from __future__ import annotations

import argparse
import glob
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live_app import (  # noqa: E402
    DEMO_PASSWORD, Demo, Worker, drop_scratch_database, prepare_database, running, scratch_postgres_url,
)

MAX_BACKOFF = 2.0
GIVE_UP_AFTER = 45.0  # seconds after the phase's end: a post still not acknowledged is abandoned
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass
class Stats:
    latencies: list = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    five_xx: list = field(default_factory=list)  # (time, status, has Retry-After)
    network_errors: int = 0
    acked: dict = field(default_factory=dict)  # marker -> status
    acked_at: dict = field(default_factory=dict)  # marker -> time.monotonic() of the acknowledgement
    rejected: dict = field(default_factory=dict)  # marker -> (status, body)
    abandoned: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def response(self, started: float, status: int, retry_after: bool) -> None:
        with self.lock:
            self.latencies.append(time.monotonic() - started)
            self.statuses[status] += 1
            if status >= 500:
                self.five_xx.append((time.monotonic(), status, retry_after))


@dataclass
class Outage:
    start: float = 0.0
    end: float = 0.0

    def covers(self, moment: float, grace: float = 3.0) -> bool:
        return self.start and self.start <= moment <= (self.end or float("inf")) + grace


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    if not match:
        raise RuntimeError("no csrf_token on the page")
    return match.group(1) or match.group(2)


def logged_in(base: str, username: str) -> requests.Session:
    """A browser session of `username` (one scrypt check; clients share a few of these)."""
    browser = requests.Session()
    token = csrf_from(browser.get(base + "/login", timeout=30).text)
    response = browser.post(base + "/login", data={"username": username, "password": DEMO_PASSWORD,
                                                   "csrf_token": token}, allow_redirects=False, timeout=30)
    if response.status_code != 302:
        raise RuntimeError(f"login as {username} failed: {response.status_code}")
    return browser


class Client:
    def __init__(self, number: int, base: str, demo: Demo, officer: requests.Session, coordinator: requests.Session,
                 csrf: str, stats: Stats, run: str, end: float):
        self.number, self.base, self.demo, self.stats, self.run, self.end = number, base, demo, stats, run, end
        self.http = requests.Session()  # this client's own connection; cookies copied from a shared login
        self.officer_cookies = officer.cookies.copy()
        self.coordinator_cookies = coordinator.cookies.copy()
        self.csrf = csrf
        self.posts = 0
        self.random = random.Random(number)

    def loop(self) -> None:
        while time.monotonic() < self.end:
            choice = self.random.random()
            if choice < 0.25:
                self.api_post()
            elif choice < 0.45:
                self.form_post()
            else:
                self.read()

    def _marker(self) -> str:
        self.posts += 1
        return f"{self.run}-{self.number}-{self.posts}"

    def api_post(self) -> None:
        marker = self._marker()
        body = {"patient_kind": "voter", "complaint": "pingsan", "triage": "hijau", "tps_id": self.demo.tps_id,
                "notes": marker}
        headers = {"Authorization": f"Bearer {self.demo.reporter_token}", "Idempotency-Key": uuid.uuid4().hex}
        self._post_until_answered(marker, lambda: self.http.post(self.base + "/api/v1/incidents", json=body,
                                                                 headers=headers, timeout=30))

    def form_post(self) -> None:
        marker = self._marker()
        form = {"csrf_token": self.csrf, "idempotency_key": uuid.uuid4().hex, "tps_id": str(self.demo.tps_id),
                "patient_kind": "officer", "complaint": "kelelahan", "triage": "hijau", "notes": marker}
        self._post_until_answered(marker, lambda: self.http.post(
            self.base + "/lapangan/kejadian", data=form, cookies=self.officer_cookies, allow_redirects=False,
            timeout=30))

    def _post_until_answered(self, marker: str, send) -> None:
        """Like the phones' queue: the same submission again until the server answers for it."""
        give_up = self.end + GIVE_UP_AFTER
        backoff = 0.1
        while time.monotonic() < give_up:
            started = time.monotonic()
            try:
                response = send()
            except requests.RequestException:
                with self.stats.lock:
                    self.stats.network_errors += 1
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            status = response.status_code
            retry_after = "Retry-After" in response.headers
            self.stats.response(started, status, retry_after)
            in_progress = status == 409 and "idempotency_in_progress" in response.text
            if status >= 500 or in_progress:
                wait = float(response.headers.get("Retry-After") or backoff)
                time.sleep(min(wait, MAX_BACKOFF))
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if status < 400 and "/login" not in response.headers.get("Location", ""):
                with self.stats.lock:
                    self.stats.acked[marker] = status
                    self.stats.acked_at[marker] = time.monotonic()
            else:
                with self.stats.lock:
                    self.stats.rejected[marker] = (status, response.text[:300])
            return
        with self.stats.lock:
            self.stats.abandoned.append(marker)

    def read(self) -> None:
        choice = self.random.random()
        if choice < 0.3:
            url, kwargs = "/api/v1/tps?limit=50", {"headers": {"Authorization": f"Bearer {self.demo.reader_token}"}}
        elif choice < 0.6:
            lat, lon = -2.13 + self.random.uniform(-0.02, 0.02), 106.11 + self.random.uniform(-0.02, 0.02)
            bbox = f"{lon - 0.03},{lat - 0.02},{lon + 0.03},{lat + 0.02}"
            url, kwargs = f"/map/data/tps.geojson?bbox={bbox}&zoom=14", {"cookies": self.coordinator_cookies}
        elif choice < 0.8:
            url, kwargs = "/dashboard", {"cookies": self.coordinator_cookies}
        else:
            url, kwargs = "/map", {"cookies": self.coordinator_cookies}
        started = time.monotonic()
        try:
            response = self.http.get(self.base + url, timeout=30, allow_redirects=False, **kwargs)
        except requests.RequestException:
            with self.stats.lock:
                self.stats.network_errors += 1
            time.sleep(0.2)
            return
        self.stats.response(started, response.status_code, "Retry-After" in response.headers)
        if response.status_code >= 500:
            time.sleep(min(float(response.headers.get("Retry-After") or 0.5), MAX_BACKOFF))


@dataclass
class PhaseResult:
    name: str
    duration: float
    stats: Stats
    stored: dict  # marker -> rows
    outage: Outage
    faults: list
    drill: str | None = None  # with --drill: how it fared (None without)
    drill_ok: bool = True
    run: str = ""  # the prefix of this phase's markers (stored_markers)

    @property
    def lost(self) -> list:
        return [m for m in self.stats.acked if self.stored.get(m, 0) == 0]

    @property
    def duplicated(self) -> list:
        return [m for m, n in self.stored.items() if n > 1]

    @property
    def five_xx_outside_outage(self) -> list:
        return [x for x in self.stats.five_xx if not self.outage.covers(x[0]) and not self._balancer_502(x)]

    def _balancer_502(self, answer) -> bool:
        """nginx's 502 for a request in flight on an app server that was killed (retried by the client)."""
        return self.name == "server" and answer[1] == 502

    @property
    def outage_answers_without_retry_after(self) -> list:
        return [x for x in self.stats.five_xx if self.outage.covers(x[0]) and (x[1] != 503 or not x[2])
                and not self._balancer_502(x)]

    @property
    def ok(self) -> bool:
        return self.drill_ok and not (self.lost or self.duplicated or self.five_xx_outside_outage
                                      or self.outage_answers_without_retry_after or self.stats.abandoned)

    def report(self) -> str:
        s = self.stats
        ms = sorted(s.latencies)
        p50 = statistics.median(ms) * 1000 if ms else 0
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))] * 1000 if ms else 0
        five = sum(n for code, n in s.statuses.items() if code >= 500)
        lines = [
            f"  phase {self.name}: {len(ms) / self.duration:.0f} req/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
            f"{len(ms)} responses, statuses {dict(sorted(s.statuses.items()))}, network errors {s.network_errors}",
            f"    faults: {', '.join(self.faults) or 'none'}",
            f"    5xx: {five} (outside the outage: {len(self.five_xx_outside_outage)}; in it without 503 + "
            f"Retry-After: {len(self.outage_answers_without_retry_after)})",
            f"    posts acknowledged {len(s.acked)}, refused 4xx {len(s.rejected)}, abandoned {len(s.abandoned)}; "
            f"stored markers {len(self.stored)}; lost {len(self.lost)}, duplicated {len(self.duplicated)}"
            f"  -> {'OK' if self.ok else 'FAILED'}",
        ]
        if self.drill is not None:
            lines.append(f"    drill: {self.drill}")
        if s.rejected:
            lines.append(f"    e.g. refused: {next(iter(s.rejected.values()))}")
        return "\n".join(lines)


def stored_markers(database_url: str, run: str) -> dict:
    from sqlalchemy import create_engine, func, select

    from logistics.models import HealthIncident

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(HealthIncident.notes, func.count()).where(HealthIncident.notes.like(run + "-%"))
                            .group_by(HealthIncident.notes)).all()
    engine.dispose()
    return {notes: n for notes, n in rows}


def run_phase(name: str, server, demo: Demo, clients: int, duration: float, faults=()) -> PhaseResult:
    """`faults`: (seconds after the start, function(outage) -> label) to run during the phase."""
    run = f"lf{uuid.uuid4().hex[:6]}-{name}"
    officer, coordinator = logged_in(server.url, "petugas"), logged_in(server.url, "koordinator")
    csrf = csrf_from(officer.get(server.url + "/lapangan/kejadian/baru", timeout=30).text)
    stats, outage, labels = Stats(), Outage(), []
    end = time.monotonic() + duration
    workers = [threading.Thread(target=Client(i, server.url, demo, officer, coordinator, csrf, stats, run,
                                              end).loop, daemon=True) for i in range(clients)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for at, fault in sorted(faults, key=lambda f: f[0]):
        time.sleep(max(0.0, started + at - time.monotonic()))
        labels.append(fault(outage))
    for worker in workers:
        worker.join(duration + GIVE_UP_AFTER + 60)
    elapsed = time.monotonic() - started
    return PhaseResult(name, elapsed, stats, stored_markers(demo.database_url, run), outage, labels, run=run)


class Drill:
    """A drill as ./scripts/demo.sh plays it: `flask drill` records it, the worker plays it (the demo's
    living day)."""

    def __init__(self, database_url: str, log_path: Path, worker, speed: float = 30.0):
        self.database_url, self.log_path, self.worker = database_url, log_path, worker
        env = {**os.environ, "DATABASE_URL": database_url, "ELECTION_DATE": "today", "SIAGA_ENV": "testing",
               "SECRET_KEY": "bench-secret-" + "x" * 32}
        with open(log_path, "w") as log:
            subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "drill", "--speed", str(speed), "--seed", "1"],
                           cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)

    def wait_until_it_plays(self, timeout: float = 120) -> None:
        """Until the worker has played the drill's first event (a drill refuses a day that already has real
        records, so the clients start after it)."""
        deadline = time.monotonic() + timeout
        while self.applied() == 0:
            if not self.worker.alive() or time.monotonic() > deadline:
                raise SystemExit(f"the drill did not start; see {self.log_path} and the worker's log")
            time.sleep(0.5)

    def applied(self) -> int:
        """Drill events committed so far (each is one audit entry of a `gladi:` actor)."""
        from sqlalchemy import create_engine, func, select

        from logistics.models import AuditEntry

        engine = create_engine(self.database_url)
        with engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.actor_label.like("gladi:%"))).scalar_one()
        engine.dispose()
        return n

    def check(self, before: int) -> tuple[str, bool]:
        applied, alive = self.applied(), self.worker.alive()
        state = "worker running" if alive else "worker gone"
        return (f"{state}, {applied - before} events applied in the phase ({applied} in all); "
                f"log {self.log_path}", alive and applied > before)


class ClusterWorker:
    """The worker scripts/cluster.sh started for the cluster."""

    def __init__(self, cluster):
        self.pid_file = cluster.dir / "worker.pid"

    def alive(self) -> bool:
        try:
            os.kill(int(self.pid_file.read_text()), 0)
            return True
        except (OSError, ValueError):
            return False


def kill_worker(server):
    def fault(_outage):
        pid = server.kill_a_worker()
        return f"kill -9 worker {pid} at {time.strftime('%H:%M:%S')}"
    return fault


# --- a throwaway PostgreSQL cluster of our own -------------------------------------------------------

def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"{name} not found: apt-get install -y postgresql")
    return found[-1]


def _as_postgres(command: list[str], timeout: float = 60) -> str:
    """A PostgreSQL program as the `postgres` user when we are root (initdb refuses root), else as us."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, timeout=timeout).stdout


class OwnPostgres:
    """initdb + pg_ctl under /tmp on `port`; stop()/start() for the outage; removed at the end."""

    def __init__(self, port: int):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="siaga-faults-pg-")
        if os.geteuid() == 0:  # the cluster runs as `postgres` (_as_postgres)
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        _as_postgres([_pg_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync"])
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def start(self) -> None:
        _as_postgres([_pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-o",
                      f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start"])

    def stop(self) -> None:
        _as_postgres([_pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"])

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def own_postgres(port: int):
    cluster = OwnPostgres(port)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def database_outage(cluster: OwnPostgres, seconds: float = 5.0):
    def fault(outage: Outage):
        outage.start = time.monotonic()
        cluster.stop()
        time.sleep(seconds)
        cluster.start()
        outage.end = time.monotonic()
        return f"database stopped for {outage.end - outage.start:.1f} s (pg_ctl stop -m fast, start)"
    return fault


def stop_server(front, number: int, kill: bool):
    def fault(_outage):
        front.stop_server(number, kill=kill)
        return f"{'kill -9' if kill else 'planned stop of'} app server {number} at {time.strftime('%H:%M:%S')}"
    return fault


def start_server(front, number: int, settle: float = 10.0):
    def fault(_outage):
        front.start_server(number)
        label = f"app server {number} started at {time.strftime('%H:%M:%S')}"
        # nginx's reload put it back in; the old nginx workers keep the old configuration (server out)
        # for the requests they still hold. A fault right now would find no other server for those.
        time.sleep(settle)
        return label
    return fault


@contextmanager
def _front(kind: str, demo: Demo, args, workdir: Path):
    """One gunicorn and the worker, or --servers app servers behind nginx (and the cluster's one worker);
    yields the front and the worker."""
    if args.servers <= 1:
        worker = Worker(demo.database_url, log_path=str(workdir / f"worker-{kind}.log")).start()
        try:
            with running(demo.database_url, workers=args.workers,
                         log_path=str(workdir / f"gunicorn-{kind}.log")) as one:
                yield one, worker
        finally:
            worker.stop()
        return
    from bench.cluster import Cluster, missing_prerequisite

    reason = missing_prerequisite(demo.database_url, args.redis)
    if reason:
        raise SystemExit(f"--servers {args.servers}: {reason}")
    with Cluster(demo.database_url, servers=args.servers, workers=args.workers, redis_url=args.redis,
                 run_dir=str(workdir / "cluster")) as cluster:
        yield cluster, ClusterWorker(cluster)


def run_database(kind: str, args, workdir: Path) -> list[PhaseResult]:
    phases = [p for p in args.phases.split(",") if p]
    results = []
    with _database(kind, args, workdir) as (url, cluster):
        if args.drill:  # the demo's day: today, with a drill playing it (scripts/demo.sh)
            from logistics.rules.time_zones import WIB
            from logistics.timeutil import to_local, utcnow

            os.environ["ELECTION_DATE"] = "today"  # the servers' setting (they inherit the environment)
            demo = prepare_database(url, election_day=to_local(utcnow(), WIB).date())
        else:
            demo = prepare_database(url)
        with _front(kind, demo, args, workdir) as (server, worker):
            drill = Drill(demo.database_url, workdir / f"drill-{kind}.log", worker) if args.drill else None
            if drill is not None:
                drill.wait_until_it_plays()
            results += _phases(kind, phases, server, demo, cluster, drill, args)
    return results


def _phases(kind: str, phases: list[str], server, demo: Demo, cluster, drill, args) -> list[PhaseResult]:
    results = []
    for phase in phases:
        if phase == "steady":
            faults = []
        elif phase == "kill":
            faults = [(args.duration / 3, kill_worker(server)), (2 * args.duration / 3, kill_worker(server))]
        elif phase == "db":
            if cluster is None:
                print(f"  phase db skipped on {kind}: needs the harness's own PostgreSQL cluster")
                continue
            faults = [(args.duration / 2, database_outage(cluster))]
        elif phase == "server":
            if args.servers < 2:
                print(f"  phase server skipped on {kind}: needs --servers 2 or more")
                continue
            faults = [(args.duration / 4, stop_server(server, 1, kill=False)),
                      (args.duration / 4 + 1, start_server(server, 1)),
                      (3 * args.duration / 4, stop_server(server, 2, kill=True))]
        else:
            raise SystemExit(f"unknown phase {phase}")
        before = drill.applied() if drill is not None else 0
        result = run_phase(phase, server, demo, args.clients, args.duration, faults)
        if drill is not None:
            result.drill, result.drill_ok = drill.check(before)
        print(result.report(), flush=True)
        results.append(result)
        if phase == "server":
            server.start_server(2)  # whole again for the next phase
    return results


@contextmanager
def _database(kind: str, args, workdir: Path):
    if kind == "sqlite":
        yield f"sqlite:///{workdir}/load.db", None
    elif args.pg:
        url = scratch_postgres_url(args.pg, "loadfaults")
        try:
            yield url, None
        finally:
            drop_scratch_database(url)
    else:
        with own_postgres(args.own_pg_port) as cluster:
            yield scratch_postgres_url(cluster.url, "load"), cluster


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=150)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--phases", default="steady,kill,db")
    parser.add_argument("--own-pg-port", type=int, default=55432)
    parser.add_argument("--pg", help="use a scratch database on this server instead of an own cluster (no db phase)")
    parser.add_argument("--servers", type=int, default=1, help="app servers behind nginx (PostgreSQL only)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per app server")
    parser.add_argument("--drill", action="store_true",
                        help="the README's demo as it serves: election day today, a drill playing it beside the clients")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                        help="shared rate-limit storage of the app servers (--servers 2 or more)")
    args = parser.parse_args()
    if args.servers > 1 and args.db != "postgresql":
        parser.error("--servers 2 or more needs --db postgresql (servers share one PostgreSQL database)")
    os.environ.setdefault("SIAGA_ENV", "testing")
    workdir = Path(tempfile.mkdtemp(prefix="siaga-loadfaults-"))
    ok = True
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        front = (f"{args.servers} app servers behind nginx, " if args.servers > 1 else "") + \
            f"gunicorn {args.workers} sync workers"
        print(f"== {kind}: {args.clients} clients x {args.duration:.0f} s per phase, {front} (logs in {workdir})",
              flush=True)
        ok &= all(r.ok for r in run_database(kind, args, workdir))
    print("ALL CHECKS PASSED" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
