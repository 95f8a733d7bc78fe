"""A real app server for benchmarks and live tests: a scratch database of either kind, migrated and
seeded like the demo, a few API tokens, and gunicorn (sync workers) on a free loopback port.

Used by bench/write_path.py, bench/load_faults.py, bench/probe.py (issue 24's probe) and the live tests
(tests/test_write_races.py, tests/test_load_short.py). Loopback only; everything it starts it stops.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEMO_PASSWORD = "bench-password"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command's name (field 3 on is index 0), None when the process
    is gone: utime and stime are [11] and [12], cutime and cstime [13] and [14], the parent [1]."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_cpu_s(pid: int) -> float | None:
    """utime + stime of a process so far, in seconds; None when it is gone."""
    fields = proc_stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields is not None else None


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different free ports: each socket stays bound until all are picked (closed one by one, the
    kernel may hand the same port out twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def scratch_postgres_url(base_url: str, suffix: str) -> str:
    """A database next to `base_url`'s on the same server (created if missing): <name>_<suffix>."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from siaga.config import normalise_database_url

    url = make_url(normalise_database_url(base_url))
    name = f"{url.database}_{suffix}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def scratch_databases(workdir: Path, pg_url: str, suffix: str, only: str | None = None) -> Iterator[tuple[str, str]]:
    """(kind, URL) of each database a bench runs on, in turn: a SQLite file in `workdir`, then a scratch
    PostgreSQL database beside `pg_url` (`scratch_postgres_url`); `only` one kind. Each is dropped when its
    turn ends, however it ends."""
    for kind in ("sqlite", "postgresql"):
        if only and kind != only:
            continue
        url = f"sqlite:///{workdir}/app.db" if kind == "sqlite" else scratch_postgres_url(pg_url, suffix)
        try:
            yield kind, url
        finally:
            drop_scratch_database(url)


def drop_scratch_database(url: str) -> None:
    """Remove a scratch database made by `scratch_postgres_url` (a SQLite file is left to its tmp dir)."""
    if url.startswith("sqlite"):
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Demo:
    """What a client needs to act on the seeded database."""

    database_url: str
    tps_id: int = 0  # the "petugas" account's TPS
    officer_token: str = ""  # bound to "petugas": write:tps-status
    reporter_token: str = ""  # agency token: write:incidents, read:*
    reader_token: str = ""  # agency token: read:*
    coordinator_token: str = ""  # bound to "koordinator" (the whole city): every write scope
    extra: dict = field(default_factory=dict)


def prepare_database(database_url: str, election_day=None) -> Demo:
    """Empty the database, run the migrations, seed the demo city (for `election_day`, by default the
    demo's 27 Aug 2025), make tokens."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, select, text

    from logistics.actor import Actor
    from logistics.models import User
    from logistics.services.api_tokens import SCOPES, create_token
    from siaga import create_app
    from siaga.config import normalise_database_url
    from siaga.extensions import db
    from siaga.seeding import seed_demo

    database_url = normalise_database_url(database_url)
    if database_url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(database_url[len("sqlite:///"):] + suffix).unlink(missing_ok=True)
    else:
        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    os.environ.setdefault("SIAGA_ENV", "testing")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    demo = Demo(database_url=database_url)
    reads = [s for s in SCOPES if s.startswith("read:")]
    with app.app_context():
        upgrade()
        seed_demo(db.session, demo_password=DEMO_PASSWORD,
                  **({"election_day": election_day} if election_day is not None else {}))
        system = Actor.system("bench")
        demo.tps_id = db.session.scalar(select(User.tps_id).where(User.username == "petugas"))
        _t, demo.officer_token = create_token(db.session, system, scopes=["write:tps-status", "read:tps"],
                                              username="petugas", name="bench-officer")
        _t, demo.reporter_token = create_token(db.session, system, scopes=["write:incidents", *reads],
                                               agency="Dinkes", name="bench-reporter")
        _t, demo.reader_token = create_token(db.session, system, scopes=reads, agency="Dinkes", name="bench-reader")
        _t, demo.coordinator_token = create_token(
            db.session, system, scopes=[s for s in SCOPES if s.startswith("write:")] + reads,
            username="koordinator", name="bench-coordinator")
        db.session.remove()
        db.engine.dispose()
    return demo


class Server:
    """gunicorn serving wsgi:app on 127.0.0.1 with `workers` sync workers."""

    def __init__(self, database_url: str, workers: int = 2, log_path: str | None = None, env: dict | None = None,
                 root: Path = ROOT):
        self.root = root  # another checkout of the app (e.g. an older commit) to serve instead
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SIAGA_ENV": "testing", "SECRET_KEY": "bench-secret-" + "x" * 32, "DATABASE_URL": database_url,
                    # The limiter stays on (its cost is part of a post) but never refuses the load.
                    "API_RATE_LIMIT": "1000000 per minute", **(env or {})}
        self.workers = workers
        self.log_path = log_path or os.devnull
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Server:
        self._log = open(self.log_path, "w")
        # The shared settings (metrics across workers: gunicorn.conf.py) when that checkout has them.
        config = ["-c", "gunicorn.conf.py"] if (self.root / "gunicorn.conf.py").exists() else []
        self.process = subprocess.Popen(
            [GUNICORN, *config, "-w", str(self.workers), "-k", "sync", "-b", f"127.0.0.1:{self.port}",
             "--graceful-timeout", "2", "--timeout", "30", "wsgi:app"],
            cwd=self.root, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start; see {self.log_path}")
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the gunicorn master)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def kill_a_worker(self) -> int | None:
        """kill -9 one worker (the master starts a new one), as a crash or the OOM killer would."""
        pids = self.worker_pids()
        if not pids:
            return None
        os.kill(pids[0], signal.SIGKILL)
        return pids[0]

    def stop(self) -> None:
        _stop(self.process, getattr(self, "_log", None), timeout=10)


def _stop(process: subprocess.Popen | None, log, timeout: float) -> None:
    """SIGTERM (a graceful stop), SIGKILL after `timeout` seconds; then close its log."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if log is not None:
        log.close()


class Worker:
    """The one worker process (`flask worker`) beside the server(s), with the server's settings: events,
    alerts, stored figures, the map's counts and a recorded drill (docs/DEPLOY.md, "The worker")."""

    def __init__(self, database_url: str, log_path: str | None = None, env: dict | None = None, root: Path = ROOT):
        self.root = root
        self.env = {**os.environ, "SIAGA_ENV": "testing", "SECRET_KEY": "bench-secret-" + "x" * 32, "DATABASE_URL": database_url,
                    **(env or {})}
        self.log_path = log_path or os.devnull
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=self.root,
                                        env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        _stop(self.process, getattr(self, "_log", None), timeout=30)  # the job runs in progress finish


@contextmanager
def running(database_url: str, workers: int = 2, log_path: str | None = None, env: dict | None = None,
            root: Path = ROOT):
    server = Server(database_url, workers, log_path, env, root).start()
    try:
        yield server
    finally:
        server.stop()
