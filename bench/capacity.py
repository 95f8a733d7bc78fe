"""Capacity from measurements (docs/SCALING.md): what one app server and PostgreSQL do on this machine,
and what two servers behind nginx do, for the figures of the national peak's model.

One run, one scratch database (<db>_capacity beside --pg's, migrated and seeded like the demo):
  * PostgreSQL alone: pgbench with bench/post.pgbench (a post's statements, no Python), --pg-clients
    connections, extended and prepared protocol.
  * Two app servers (gunicorn --workers each) behind nginx, sharing the database and Redis
    (scripts/cluster.sh). wrk (-t2, --connections), loopback:
      - one server, directly: the post (POST /api/v1/tps/<id>/officers, a fresh Idempotency-Key each:
        bench/write_path.py's request) and each request of a coordinator's map poll — the TPS layer at a
        kecamatan's zoom, the incidents layer, the stations layer, the dashboard's partial refresh —
        without If-None-Match (every poll finds changed data, as at the peak), and the phone's TPS page
        an officer opens before posting;
      - both servers through nginx: the post and the TPS layer.
Prints a table (req/s, p50/p99 ms, failed, and CPU per request: of the app's gunicorn workers and of the
database's server processes, from /proc) and the load average before and after. On a shared machine the
rates are lower bounds; the CPU per request is what carries over to other hardware (docs/SCALING.md).

Needs: wrk, pgbench, nginx, Redis (REDIS_URL), PostgreSQL (--pg). Loopback only; bounded by --duration.
Usage:  .venv/bin/python bench/capacity.py [--pg postgresql://postgres@127.0.0.1:5432/<db>] [--duration 15]
          [--workers 2] [--connections 16] [--pg-clients 8]
Benchmarks are not tests: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cluster import Cluster, missing_prerequisite  # noqa: E402
from bench.live_app import drop_scratch_database, prepare_database, scratch_postgres_url  # noqa: E402
from bench.load_faults import logged_in  # noqa: E402
from bench.write_path import WRK_SCRIPT, parse_wrk  # noqa: E402

BOX = "106.09,-2.15,106.15,-2.10"  # about a kecamatan of the demo city, as a coordinator's map shows it


def cpu_seconds(pids) -> dict[int, float]:
    """utime + stime of each process so far (/proc/<pid>/stat), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


class CpuMeter:
    """CPU used by the app servers' workers and by the database's backends between start() and stop()."""

    def __init__(self, cluster: Cluster | None, servers: list[int], database: str):
        self.cluster, self.servers, self.database = cluster, servers, database

    def _app_pids(self) -> list[int]:
        return [pid for n in self.servers for pid in self.cluster.worker_pids(n)] if self.cluster else []

    def _db_pids(self) -> list[int]:
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc",
                              f"SELECT pid FROM pg_stat_activity WHERE datname = '{self.database}'"],
                             capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

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


def pgbench(database_url: str, token_hash: str, tps_count: int, mode: str, clients: int, duration: int) -> dict:
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    command = ["pgbench", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
               "-n", "-M", mode, "-c", str(clients), "-j", "2", "-T", str(duration), "-D", f"tps_count={tps_count}",
               "-D", f"token_hash={token_hash}", "-f", str(ROOT / "bench" / "post.pgbench"), url.database]
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


def pgbench_measured(meter: CpuMeter, database_url: str, token_hash: str, tps_count: int, mode: str, args) -> dict:
    """pgbench's backends exist only while it runs: sample their CPU just before it ends."""
    import threading

    samples: dict[int, float] = {}
    done = threading.Event()

    def sample():
        while not done.wait(0.5):
            samples.update(cpu_seconds(meter._db_pids()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = pgbench(database_url, token_hash, tps_count, mode, args.pg_clients, args.duration)
    done.set()
    sampler.join()
    result["db_ms"] = sum(samples.values()) * 1000 / max(result["requests"], 1)  # backends start at ~0 CPU
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pg-clients", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("SIAGA_ENV", "testing")
    url = scratch_postgres_url(args.pg, "capacity")
    reason = missing_prerequisite(url, os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    if reason:
        raise SystemExit(reason)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"commit {commit}; load average before: {load_average()}", flush=True)
    demo = prepare_database(url)
    rows: list[tuple[str, dict]] = []

    from sqlalchemy import create_engine, func, select, text

    engine = create_engine(demo.database_url)
    with engine.connect() as conn:
        token_hash = conn.execute(text("SELECT token_hash FROM api_token WHERE name = 'bench-officer'")).scalar_one()
        from logistics.models import Tps

        tps_count = conn.execute(select(func.max(Tps.id))).scalar_one()
    engine.dispose()
    database = demo.database_url.rsplit("/", 1)[1]
    for mode in ("extended", "prepared"):
        meter = CpuMeter(None, [], database)
        meter._db_pids = lambda: _pgbench_backends(database)  # pgbench's own connections, found when they exist
        rows.append((f"PostgreSQL alone: a post's statements (pgbench -M {mode}, {args.pg_clients} clients; "
                     "latency column: mean)",
                     pgbench_measured(meter, demo.database_url, token_hash, tps_count, mode, args)))
        print(f"  {rows[-1][0]}: {rows[-1][1]['rps']:.0f}/s", flush=True)

    # Plain http on loopback: not "production" (its cookies are https-only); the same code otherwise.
    with Cluster(demo.database_url, servers=2, workers=args.workers, env={"SIAGA_ENV": "development"}) as cluster:
        one, both = cluster.server_urls[0], cluster.url
        post_headers = {"Authorization": f"Bearer {demo.officer_token}", "Content-Type": "application/json"}
        coordinator = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in logged_in(one, "koordinator").cookies)}
        officer = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in logged_in(one, "petugas").cookies)}
        reads = {
            "map poll: TPS layer (kecamatan zoom)": f"/map/data/tps.geojson?bbox={BOX}&zoom=14&color=status",
            "map poll: incidents layer": f"/map/data/incidents.geojson?bbox={BOX}",
            "map poll: stations layer (every 6th poll)": f"/map/data/stations.geojson?bbox={BOX}",
            "phone: the officer's TPS page (before a post)": f"/lapangan/tps/{demo.tps_id}",
            "dashboard refresh (every 30 s), one kecamatan's (52 TPS)": "/dashboard?partial=1&kecamatan=5",
            "dashboard refresh (every 30 s), the whole city's (319 TPS)": "/dashboard?partial=1",
        }
        post = f"/api/v1/tps/{demo.tps_id}/officers"
        wrk(one + post, post_headers, 3, args.connections, post=True)  # warm: imports, pools, first queries
        for base, label, servers in ((one, f"one app server ({args.workers} workers), direct", [1]),
                                     (both, f"two app servers ({args.workers} workers each) behind nginx", [1, 2])):
            meter = CpuMeter(cluster, servers, database)
            rows.append((f"{label}: post", measured(meter, lambda: wrk(base + post, post_headers, args.duration,
                                                                         args.connections, post=True))))
            print(f"  {rows[-1][0]}: {rows[-1][1]['rps']:.0f}/s", flush=True)
            for name, path in reads.items():
                if base == both and "TPS layer" not in name:
                    continue
                who = officer if name.startswith("phone") else coordinator
                rows.append((f"{label}: {name}", measured(meter, lambda: wrk(
                    base + path, who, args.duration, args.connections))))
                print(f"  {rows[-1][0]}: {rows[-1][1]['rps']:.0f}/s", flush=True)
    drop_scratch_database(demo.database_url)
    print(f"\ncommit {commit}; load average after: {load_average()}\n")
    print("| what | req/s | p50 ms | p99 ms | failed (of which non-2xx/3xx) | app CPU ms/req | "
          "PostgreSQL CPU ms/req |\n|---|---|---|---|---|---|---|")
    for name, r in rows:
        p99 = f"{r['p99']:.0f}" if r["p99"] else "—"
        app_ms = f"{r['app_ms']:.1f}" if r.get("app_ms") else "—"
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.0f} | {p99} | {r['failed']} ({r.get('non2xx', 0)}) | {app_ms} | {r.get('db_ms', 0):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
