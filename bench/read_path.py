"""Benchmark: the two reads of election day against a typical Flask-SQLAlchemy peer (issue 26).

In one run per database (SQLite, PostgreSQL), on the seeded demo city, with the same gunicorn (2 sync
workers) and the same wrk load (2 threads, 8 connections, loopback) as bench/write_path.py:
  * TPS page: GET /lapangan/tps/<id> with the officer's (`petugas`) session cookie: login, scope, the live
    page's ETag, the page with its layout, CSP, language;
    peer: GET /tps/<id> of bench/peer_read_app.py (one row through the ORM, a Jinja template of the same shape);
  * map layer: GET /map/data/tps.geojson?bbox=...&zoom=...&color=status with the coordinator's
    (`koordinator`) session cookie, for the bbox of one kecamatan (the officer's) and of the whole city;
    peer: GET /tps.geojson?bbox=... (the rows in the box through the ORM, `jsonify` with the same fields);
    each twice: the same bbox again (the app answers from the body it kept under the ETag) and a new bbox
    each request (its west edge moved out by 0-10 m: every answer built; the same TPS in view);
  * floor: GET of an endpoint that does not exist with the officer's cookie: every hook (user load, request
    id, log line, metrics, security headers) and the JSON 404, no view (as write_path's floor).
Each pair is measured in turns (peer, app, peer, app... `--rounds` of each), so a change of the shared
machine's load falls on both; the ratio app/peer of one run is what counts. Prints req/s, p50/p99, failed
requests, app/peer and app/floor, the server workers' CPU per answer (from /proc; less sensitive to other
load than req/s) and the load average.

Needs wrk on PATH, gunicorn in the venv, and for PostgreSQL a server where it may create a scratch database
(<name>_readbench next to --pg's). Loopback only; bounded by --duration.

Usage:  .venv/bin/python bench/read_path.py [--duration 10] [--connections 8] [--threads 2] [--runs 1]
          [--rounds 5] [--pg postgresql://postgres@127.0.0.1:5432/test_w] [--only sqlite|postgresql]
Benchmarks are not tests: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live_app import (  # noqa: E402
    process_cpu_s,
    GUNICORN, Server, free_port, prepare_database, scratch_databases,
)
from bench.live_idle import log_in  # noqa: E402
from bench.write_path import WRK_THREAD_NUMBERS, parse_wrk  # noqa: E402

KECAMATAN_ZOOM, CITY_ZOOM = 14, 12  # the map's zoom for one kecamatan and for the whole city (both: one point per TPS)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# Each request a bbox never asked before: its west edge moved out by a random 0-10 m, so nothing answered
# before (a body kept under its ETag) serves it; the same TPS are in view.
NEW_BOX_SCRIPT = WRK_THREAD_NUMBERS + r"""
function init(args)
  math.randomseed(os.time() * 100 + (tonumber(no) or 0))
end
request = function()
  local path = wrk.path:gsub("bbox=([-%d.]+)", function(west)
    return "bbox=" .. string.format("%.9f", tonumber(west) - math.random() * 0.0001)
  end, 1)
  return wrk.format("GET", path)
end
"""


def get(url: str, headers: dict, duration: int, threads: int, connections: int, new_box: bool = False) -> dict:
    """wrk GETs of one address with fixed headers (`new_box`: a new bbox each request); write_path's parsing."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    script = None
    if new_box:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(NEW_BOX_SCRIPT)
        command += ["-s", script.name]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    try:
        out = subprocess.run(command + [url], capture_output=True, text=True, timeout=duration + 60).stdout
    finally:
        if script:
            os.unlink(script.name)
    return parse_wrk(out)


def boxes(database_url: str, tps_id: int) -> dict[str, str]:
    """The bbox (minlon,minlat,maxlon,maxlat) of the TPS of `tps_id`'s kecamatan, and of every TPS."""
    from sqlalchemy import create_engine, func, select

    from bench.election_rows import active_election_id
    from logistics.models import Kelurahan, Tps

    extent = (func.min(Tps.lon), func.min(Tps.lat), func.max(Tps.lon), func.max(Tps.lat))
    engine = create_engine(database_url)
    with engine.connect() as conn:
        kecamatan = conn.execute(select(Kelurahan.kecamatan_id).join(Tps, Tps.kelurahan_id == Kelurahan.id)
                                 .where(Tps.id == tps_id)).scalar_one()
        # Core reads (no ORM criteria): the active election's TPS, as the map shows (the demo holds a past one)
        this_election = Tps.election_id == active_election_id(conn)
        found = {
            "kecamatan": conn.execute(select(*extent, func.count()).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
                                      .where(Kelurahan.kecamatan_id == kecamatan, this_election)).one(),
            "city": conn.execute(select(*extent, func.count()).where(this_election)).one(),
        }
    engine.dispose()
    pad = 0.001  # the view is a little larger than its TPS
    return {name: (f"{r[0] - pad:.4f},{r[1] - pad:.4f},{r[2] + pad:.4f},{r[3] + pad:.4f}", r[4])
            for name, r in found.items()}


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes so far (/proc/<pid>/stat), in seconds."""
    return sum(s for s in map(process_cpu_s, pids) if s is not None)


def measure(url: str, headers: dict, workers: list[int], duration: float, args, new_box: bool = False) -> dict:
    """One wrk run, with the server workers' CPU per answer (ms): less sensitive than req/s to a shared
    machine's other load, which takes turns on the cores but not the CPU a request needs."""
    before = cpu_seconds(workers)
    result = get(url, headers, duration, args.threads, args.connections, new_box)
    result["cpu_ms"] = (cpu_seconds(workers) - before) * 1000 / max(result["requests"], 1)
    return result


def alternating(peer: tuple, app: tuple, args, new_box: bool = False) -> tuple[dict, dict]:
    """Peer and app measured in turns (`--rounds` turns of duration/rounds seconds each), so that a change
    of the machine's other load during the run falls on both; req/s over the whole, CPU per answer, and the
    worst p50/p99 of the turns."""
    turns = {"peer": [], "app": []}
    seconds = max(1, round(args.duration / args.rounds))
    for _ in range(args.rounds):
        for side, (url, headers, workers) in (("peer", peer), ("app", app)):
            turns[side].append(measure(url, headers, workers, seconds, args, new_box))
    combined = []
    for side in ("peer", "app"):
        runs = turns[side]
        requests = sum(r["requests"] for r in runs)
        combined.append({"rps": requests / (seconds * len(runs)), "requests": requests,
                         "cpu_ms": sum(r["cpu_ms"] * r["requests"] for r in runs) / max(requests, 1),
                         "p50": max(r["p50"] for r in runs), "p99": max(r["p99"] for r in runs),
                         "failed": sum(r["failed"] for r in runs)})
    return combined[0], combined[1]


@contextmanager
def peer_server(database_url: str):
    """bench/peer_read_app.py under gunicorn, 2 sync workers, on the same database; yields (url, workers)."""
    port = free_port()
    env = {**os.environ, "PEER_DATABASE_URL": database_url}
    process = subprocess.Popen([GUNICORN, "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
                                "bench.peer_read_app:app"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(url + "/tps/1", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("peer server did not start")
        yield url, children(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def fetch(url: str, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def bench_database(kind: str, database_url: str, args) -> list[tuple[str, dict, dict]]:
    demo = prepare_database(database_url)
    areas = boxes(demo.database_url, demo.tps_id)
    rows = []
    # Production settings (TESTING off), the bench's own SECRET_KEY; a loaded machine may take a while to start.
    app_server = Server(demo.database_url, workers=2, env={"SIAGA_ENV": "production"}).start(timeout=180)
    try:
        with peer_server(demo.database_url) as (peer, peer_workers):
            app_workers = app_server.worker_pids()
            officer = {"Cookie": log_in(app_server.port, "petugas")}
            coordinator = {"Cookie": log_in(app_server.port, "koordinator")}
            cases = [(f"TPS page (officer, /lapangan/tps/{demo.tps_id})", f"{app_server.url}/lapangan/tps/{demo.tps_id}",
                      officer, f"{peer}/tps/{demo.tps_id}", False)]
            for area, zoom in (("kecamatan", KECAMATAN_ZOOM), ("city", CITY_ZOOM)):
                box, count = areas[area]
                for new_box in (False, True):
                    cases.append((f"map TPS layer, a {area}'s bbox ({count} TPS, zoom {zoom})"
                                  + (", a new bbox each request" if new_box else ", the same bbox again"),
                                  f"{app_server.url}/map/data/tps.geojson?bbox={box}&zoom={zoom}&color=status",
                                  coordinator, f"{peer}/tps.geojson?bbox={box}", new_box))
            for name, app_url, headers, peer_url, _new in cases:  # both answer, and with the same number of TPS
                (app_status, app_body), (peer_status, peer_body) = fetch(app_url, headers), fetch(peer_url, {})
                if app_status != 200 or peer_status != 200:
                    raise RuntimeError(f"{name}: app {app_status}, peer {peer_status}")
                if "geojson" in app_url and app_body.count(b'"Feature"') != peer_body.count(b'"Feature"'):
                    raise RuntimeError(f"{name}: the app and the peer show different TPS")
                print(f"  {name}: app {len(app_body)} bytes, peer {len(peer_body)} bytes", flush=True)
            floor_url = f"{app_server.url}/api/v1/no-such-endpoint"
            for run in range(args.runs):
                print(f"  run {run + 1}: load average {load_average()}", flush=True)
                floor = measure(floor_url, officer, app_workers, args.duration, args)
                for name, app_url, headers, peer_url, new_box in cases:
                    get(peer_url, {}, 2, args.threads, args.connections)  # warm: imports, pools, caches, first queries
                    get(app_url, headers, 2, args.threads, args.connections)
                    peer_result, app_result = alternating((peer_url, {}, peer_workers), (app_url, headers, app_workers),
                                                          args, new_box)
                    app_result["floor"] = floor
                    app_result["load"] = load_average()
                    rows.append((f"{name}, run {run + 1}", app_result, peer_result))
                    print(f"    {name}: app {app_result['rps']:.0f}/s {app_result['cpu_ms']:.2f} ms CPU, "
                          f"peer {peer_result['rps']:.0f}/s {peer_result['cpu_ms']:.2f} ms CPU "
                          f"({app_result['rps'] / peer_result['rps']:.2f}x), floor {floor['rps']:.0f}/s "
                          f"{floor['cpu_ms']:.2f} ms CPU", flush=True)
    finally:
        app_server.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--runs", type=int, default=1, help="measure each pair this many times on the same servers")
    parser.add_argument("--rounds", type=int, default=5, help="each measurement: peer and app in this many turns")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test_w"),
                        help="a PostgreSQL URL; the bench uses a scratch database <name>_readbench beside it")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed on PATH (Debian: apt-get install -y wrk)")
    os.environ.setdefault("SIAGA_ENV", "testing")
    workdir = Path(tempfile.mkdtemp(prefix="siaga-readbench-"))
    print(f"load average at start: {load_average()}")
    results = []
    for kind, url in scratch_databases(workdir, args.pg, "readbench", args.only):
        print(f"== {kind}: wrk -t{args.threads} -c{args.connections} -d{args.duration}s, gunicorn 2 sync workers")
        results += [(kind, *row) for row in bench_database(kind, url, args)]
    print(f"\nload average at the end: {load_average()}\n")
    print("| database | read | app req/s | app p50/p99 ms | peer req/s | peer p50/p99 ms | failed app/peer | "
          "app/peer | CPU ms/answer app, peer (peer/app) | floor req/s, CPU ms | app/floor | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, name, app, peer in results:
        floor = app["floor"]
        print(f"| {kind} | {name} | {app['rps']:.0f} | {app['p50']:.1f}/{app['p99']:.1f} | {peer['rps']:.0f} | "
              f"{peer['p50']:.1f}/{peer['p99']:.1f} | {app['failed']}/{peer['failed']} | "
              f"**{app['rps'] / peer['rps']:.2f}x** | {app['cpu_ms']:.2f}, {peer['cpu_ms']:.2f} "
              f"({peer['cpu_ms'] / app['cpu_ms']:.2f}x) | {floor['rps']:.0f}, {floor['cpu_ms']:.2f} | "
              f"{app['rps'] / floor['rps']:.2f}x | {app['load']} |")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
