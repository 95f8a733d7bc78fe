"""scripts/cluster.sh from Python: two (or more) gunicorn app servers on one PostgreSQL database and one
Redis, behind nginx, for tests/test_cluster.py and bench/load_faults.py --servers N.

The database is prepared by the caller (bench.live_app.prepare_database); the script only starts,
stops and kills. Loopback only; `stop()` ends everything the script started (by the pids it recorded).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

from bench.live_app import ROOT, free_ports

SCRIPT = ROOT / "scripts" / "cluster.sh"


def missing_prerequisite(database_url: str, redis_url: str) -> str | None:
    """Why a cluster cannot run here, or None."""
    if not database_url.startswith("postgresql"):
        return "several app servers share one PostgreSQL database; the suite runs on SQLite"
    if shutil.which("nginx") is None:
        return "nginx is not installed (scripts/test.sh installs Debian's nginx when run as root)"
    host, _, rest = redis_url.removeprefix("redis://").partition("/")
    name, _, port = host.rpartition(":")
    try:
        with socket.create_connection((name or "127.0.0.1", int(port or 6379)), timeout=2):
            pass
    except OSError:
        return f"Redis is not reachable at {redis_url} (the servers share rate limits there)"
    return None


class Cluster:
    def __init__(self, database_url: str, servers: int = 2, workers: int = 2, redis_url: str | None = None,
                 env: dict | None = None, ports: list[int] | None = None, run_dir: str | None = None):
        ports = ports or free_ports(servers + 1)
        self.lb_port, self.app_ports = ports[0], ports[1:servers + 1]
        self.url = f"http://127.0.0.1:{self.lb_port}"
        self.server_urls = [f"http://127.0.0.1:{p}" for p in self.app_ports]
        self.dir = Path(run_dir or tempfile.mkdtemp(prefix="siaga-cluster-"))
        self.redis_url = redis_url or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        self.env = {**os.environ, "CLUSTER_DIR": str(self.dir), "DATABASE_URL": database_url,
                    "REDIS_URL": self.redis_url, "SECRET_KEY": "cluster-bench-secret-" + "x" * 32,
                    "LB_PORT": str(self.lb_port), "APP_PORTS": " ".join(map(str, self.app_ports)),
                    "WORKERS": str(workers), "MIGRATE": "0", "SEED": "0", "SIAGA_ENV": "testing",
                    # The API limiter stays on (its Redis round trip is part of a post) but never refuses
                    # the load; logins from the harness's one address are not refused either.
                    "API_RATE_LIMIT": "1000000 per minute", "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
                    **(env or {})}

    def _run(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run([str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"cluster.sh {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> Cluster:
        try:
            self._run("start")
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._run("stop", timeout=60)

    def stop_server(self, number: int, kill: bool = False) -> None:
        """Server `number` (1-based) down: SIGTERM (graceful) or kill -9 of its master and workers."""
        self._run("app-stop", str(number), "kill" if kill else "term", timeout=60)

    def start_server(self, number: int) -> None:
        self._run("app-start", str(number))

    def master_pid(self, number: int) -> int:
        return int((self.dir / f"app{number}" / "gunicorn.pid").read_text())

    def worker_pids(self, number: int) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.master_pid(number))],
                             capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def kill_a_worker(self, number: int = 1) -> int | None:
        """kill -9 one worker of server `number` (its master starts a new one), as live_app.Server does."""
        pids = self.worker_pids(number)
        if not pids:
            return None
        os.kill(pids[0], signal.SIGKILL)
        return pids[0]

    def log(self, number: int) -> Path:
        return self.dir / f"app{number}" / "gunicorn.log"

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
