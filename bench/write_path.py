"""Benchmark: what does an election-day post cost, against the same change written as most Flask apps write it?

In one run per database (SQLite, PostgreSQL), with the same gunicorn (gunicorn.conf.py, 2 sync workers) and
the same wrk load (2 threads, 8 connections, loopback), on the same database:
  * app:  POST /api/v1/tps/<id>/officers {"count": n} with a bearer token bound to the TPS's
          officer, a fresh Idempotency-Key per request: token lookup, schema, idempotency record,
          permission, change (a count takes no row lock; a step does), audit entry, data version and stored response, one commit.
  * peer: the idiomatic Flask-SQLAlchemy endpoint (bench/peer_app.py): `db.session.get(Tps, id)`, change,
          `db.session.add(Audit(...))`, `db.session.commit()`, the record as JSON (TechEmpower's Flask
          "updates" test plus the audit row). The headline ratio is app/peer.
  * peer + guarantees: the same peer at /tps/<id>/officers/guarded, plus the app's extra statements written
          plainly (token and user, idempotency record with the answer, data versions), one commit.
  * bare: a Flask endpoint inserting one row on a persistent connection per worker
          (bench/bare_app.py), no ORM, no auth (the old baseline, kept for reference).
  * floor: the same POST to an endpoint that does not exist: every hook and the JSON 404, no view, no
          database; what the app's framework costs before a post does anything.
Peer and app are measured back to back, `--rounds` times alternately (the machine may be shared: the ratio
of one pair is what counts). Prints req/s, p50/p99, failed requests (non-2xx and socket errors), the CPU the server's workers spent per
request (from /proc: steadier than req/s on a shared machine), app/peer (req/s, and CPU: peer's CPU per
request / app's) and app/floor.

Needs: wrk on PATH (Debian: `apt-get install -y wrk`), gunicorn in the venv, and for PostgreSQL a
server where it may create a scratch database (<name>_writebench next to --pg's). It installs
nothing. Loopback only; bounded by --duration.

Usage:  .venv/bin/python bench/write_path.py [--duration 10] [--connections 8] [--threads 2]
          [--pg postgresql://postgres@127.0.0.1:5432/test_w] [--only sqlite|postgresql] [--profile]
          [--rounds 2]
        .venv/bin/python bench/write_path.py --in-process 10 [--only ...] [--pg ...] [--profile]
          (no servers, no wrk: statements per post, and CPU and wall time per post in this process)
Benchmarks are not tests: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live_app import (  # noqa: E402
    process_cpu_s,
    GUNICORN, free_port, prepare_database, running, scratch_databases,
)

# wrk's threads numbered 1, 2, ... (each thread's `no`): what a script keeps apart per thread.
WRK_THREAD_NUMBERS = r"""
local threads = {}
function setup(thread)
  thread:set("no", #threads + 1)
  table.insert(threads, thread)
end
"""

# A fresh Idempotency-Key per request: wrk thread number + counter (+ the run's start time).
WRK_SCRIPT = WRK_THREAD_NUMBERS + r"""
local counter = 0
local thread_no = 0
function init(args)
  thread_no = tonumber(no) or 0
  run = args[1] or tostring(os.time())
end
request = function()
  counter = counter + 1
  local key = "bench-" .. run .. "-" .. thread_no .. "-" .. counter
  wrk.headers["Idempotency-Key"] = key
  wrk.body = '{"count": ' .. (counter % 40 + 1) .. '}'
  return wrk.format("POST")
end
"""


def wrk(url: str, headers: dict, duration: int, threads: int, connections: int, body: str | None = None) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script.name]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += [url, "--", str(int(time.time() * 1000))]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60).stdout
    os.unlink(script.name)
    return parse_wrk(out)


def worker_cpu_seconds(master_pid: int) -> float:
    """User + system CPU of a gunicorn master's workers so far (/proc; Linux only)."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True, text=True).stdout
    return sum(s for s in map(process_cpu_s, map(int, out.split())) if s is not None)


def measured(master_pid: int, *wrk_args, **wrk_kwargs) -> dict:
    """A wrk run, with the CPU the server's workers spent per request (ms) beside it: unlike req/s, CPU per
    request hardly moves when other work shares the machine."""
    before = worker_cpu_seconds(master_pid)
    result = wrk(*wrk_args, **wrk_kwargs)
    result["cpu_ms"] = (worker_cpu_seconds(master_pid) - before) * 1000 / max(result["requests"], 1)
    return result


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out: str) -> dict:
    if "Requests/sec" not in out or not re.search(r"^\s+50%\s+[\d.]+(us|ms|s)", out, re.M):
        raise RuntimeError("wrk gave no result:\n" + out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(int(x) for x in sock.groups()) if sock else 0
    return {"rps": rps, "requests": total, "p50": p50, "p99": p99, "failed": non2xx + socket_errors, "raw": out}


def bench_database(kind: str, app_url: str, bare_url: str, args) -> tuple[dict, dict]:
    demo = prepare_database(app_url)
    # Production settings (TESTING off); the bench's own SECRET_KEY.
    with running(demo.database_url, workers=2, env={"SIAGA_ENV": "production"}) as app_server, \
            _module_server("bench.bare_app:app", {"BARE_DATABASE_URL": bare_url}, "/bare") as (bare_base, bare_pid), \
            _module_server("bench.peer_app:app", {"PEER_DATABASE_URL": demo.database_url},
                           f"/tps/{demo.tps_id}/officers") as (peer_base, peer_pid), \
            _maybe_running(demo, args.compare_with) as old_server:
        target = f"{app_server.url}/api/v1/tps/{demo.tps_id}/officers"
        peer_target = f"{peer_base}/tps/{demo.tps_id}/officers"
        headers = {"Authorization": f"Bearer {demo.officer_token}", "Content-Type": "application/json"}
        json_only = {"Content-Type": "application/json"}
        # Warm all three (imports, pools, first queries), then measure back to back.
        wrk(target, headers, 2, args.threads, args.connections)
        wrk(peer_target, json_only, 2, args.threads, args.connections)
        wrk(bare_base + "/bare", json_only, 2, args.threads, args.connections)
        bare = measured(bare_pid, bare_base + "/bare", json_only, args.duration, args.threads, args.connections)
        wrk(peer_target + "/guarded", headers, 2, args.threads, args.connections)
        pairs = []
        for _ in range(args.rounds):  # peer and app alternately: each pair shares the machine's moment
            peer = measured(peer_pid, peer_target, json_only, args.duration, args.threads, args.connections)
            app = measured(app_server.process.pid, target, headers, args.duration, args.threads, args.connections)
            guarded = measured(peer_pid, peer_target + "/guarded", headers, args.duration, args.threads,
                               args.connections)
            pairs.append((peer, app, guarded))
        # The app's floor: a request that runs every hook (request id, limiter, body guard, log line,
        # metrics, security headers) and the JSON 404, but no view and no database: no post can cost less.
        floor = measured(app_server.process.pid, f"{app_server.url}/api/v1/no-such-endpoint", headers,
                         args.duration, args.threads, args.connections)
        before = None
        if old_server is not None:
            before = measured(old_server.process.pid, f"{old_server.url}/api/v1/tps/{demo.tps_id}/officers", headers,
                              args.duration, args.threads, args.connections)
        if args.profile:
            profile_one_post(demo)
    return {"bare": bare, "pairs": pairs, "floor": floor, "before": before}


@contextmanager
def _maybe_running(demo, root: str | None):
    """The same post served by another checkout (--compare-with), on the same database."""
    if not root:
        yield None
        return
    with running(demo.database_url, workers=2, env={"SIAGA_ENV": "production"}, root=Path(root)) as server:
        yield server


@contextmanager
def _module_server(module: str, env: dict, probe: str):
    """A bench app (bare or peer) under the same gunicorn settings as the app (gunicorn.conf.py, 2 sync
    workers); ready when `probe` answers a POST."""
    import urllib.error
    import urllib.request

    port = free_port()
    process = subprocess.Popen([GUNICORN, "-c", "gunicorn.conf.py", "-w", "2", "-k", "sync",
                                "-b", f"127.0.0.1:{port}", module], cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(urllib.request.Request(
                    url + probe, data=b'{"count": 1}', headers={"Content-Type": "application/json"},
                    method="POST"), timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{module} did not start")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def profile_one_post(demo, posts: int = 300, *, cprofile: bool = True, rounds: int = 0) -> None:
    """Statements per post (app and peer) and a cProfile of the app's post, in process (WSGI calls, same
    database). The access log is silenced meanwhile (it would time the terminal). `rounds`: also the CPU
    (this process's: on PostgreSQL not the server's) and wall time per post, least over `rounds` rounds of
    100 posts, app and peer alternately."""
    import cProfile
    import logging
    import pstats

    from sqlalchemy import event
    from werkzeug.test import Client

    from siaga import create_app
    from siaga.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": demo.database_url, "API_RATE_LIMIT": "1000000 per minute"})
    client = app.test_client()
    os.environ["PEER_DATABASE_URL"] = demo.database_url
    import importlib

    import bench.peer_app
    importlib.reload(bench.peer_app)  # on this database (the module reads its URL when imported)
    peer_app, peer_db = bench.peer_app.app, bench.peer_app.db

    peer = Client(peer_app)
    headers = {"Authorization": f"Bearer {demo.officer_token}"}
    with app.app_context():
        engine = db.engine
    with peer_app.app_context():
        peer_engine = peer_db.engine

    def post(i: int, count: int | None = None):
        return client.post(f"/api/v1/tps/{demo.tps_id}/officers", json={"count": count or i % 40 + 1},
                           headers={**headers, "Idempotency-Key": f"profile-{time.time_ns()}-{i}"})

    def peer_post(i: int, count: int | None = None):
        return peer.post(f"/tps/{demo.tps_id}/officers", json={"count": count or i % 40 + 1})

    def named(statement: str) -> str:
        """A statement's verb, and for a write its table (a WITH: the tables its parts write)."""
        words = statement.split()
        if words[0].upper() == "WITH":
            return "WITH(" + " ".join(re.findall(r"\b(?:INSERT INTO|UPDATE)\s+(?!SET\b)(\w+)", statement)) + ")"
        table = {"INSERT": 2, "UPDATE": 1}.get(words[0].upper())
        return words[0] if table is None else f"{words[0]} {words[table]}"

    def statements_of(engine, send) -> list[str]:
        seen: list[str] = []
        listeners = [("before_cursor_execute", lambda _c, _cur, statement, *_r: seen.append(named(statement))),
                     ("commit", lambda _c: seen.append("(commit)")), ("rollback", lambda _c: seen.append("(rollback)"))]
        for name, listener in listeners:
            event.listen(engine, name, listener)
        try:
            assert send().status_code == 200
        finally:
            for name, listener in listeners:
                event.remove(engine, name, listener)
        return seen

    logging.disable(logging.INFO)
    try:
        for i in range(20):
            post(i), peer_post(i)  # warm
        for count, note in ((7, "at least the highest quorum: most posts"), (1, "below the quorum: an event")):
            seen = statements_of(engine, lambda: post(0, count))
            print(f"  app statements per post, count {count} ({note}): {len(seen)} ({', '.join(seen)})")
        seen = statements_of(peer_engine, lambda: peer_post(0, 7))
        print(f"  peer statements per post: {len(seen)} ({', '.join(seen)})")
        if rounds:
            server = _server_cpu(demo.database_url)
            timed = {"app": (post, []), "peer": (peer_post, [])}
            for _ in range(rounds):
                for send, times in timed.values():
                    cpu, wall, db_cpu = time.process_time(), time.perf_counter(), server()
                    for i in range(100):
                        send(i)
                    times.append(((time.process_time() - cpu) * 10, (time.perf_counter() - wall) * 10,
                                  (server() - db_cpu) * 10))
            for name, (_send, times) in timed.items():
                db_cpu = f", database server CPU {min(d for *_, d in times):.2f} ms" if demo.database_url.startswith(
                    "postgresql") else ""
                print(f"  {name} per post, least of {rounds} rounds of 100: CPU {min(c for c, *_ in times):.2f} ms, "
                      f"wall {min(w for _, w, _ in times):.2f} ms{db_cpu}")
            print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if cprofile:
            profiler = cProfile.Profile()
            profiler.enable()
            for i in range(posts):
                post(i)
            profiler.disable()
    finally:
        logging.disable(logging.NOTSET)
    if cprofile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test_w"),
                        help="a PostgreSQL URL; the bench uses a scratch database <name>_writebench beside it")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--rounds", type=int, default=2, help="peer/app pairs measured alternately")
    parser.add_argument("--profile", action="store_true", help="also cProfile the app's post in process")
    parser.add_argument("--in-process", type=int, metavar="ROUNDS", default=0,
                        help="no servers and no wrk: only the statements per post and the CPU and wall time per "
                             "post in process (least of ROUNDS rounds of 100 posts), app and peer")
    parser.add_argument("--compare-with", metavar="DIR",
                        help="also measure the post served from another checkout, e.g. `mkdir /tmp/before && git archive "
                             "<commit> | tar -x -C /tmp/before`, on the same database (run after the current app)")
    args = parser.parse_args()
    if args.in_process:
        in_process(args)
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed on PATH (Debian: apt-get install -y wrk)")
    os.environ.setdefault("SIAGA_ENV", "testing")
    workdir = Path(tempfile.mkdtemp(prefix="siaga-writebench-"))
    rows = []
    for kind, app_url in scratch_databases(workdir, args.pg, "writebench", args.only):
        bare_url = f"sqlite:///{workdir}/bare.db" if kind == "sqlite" else app_url
        print(f"== {kind}: wrk -t{args.threads} -c{args.connections} -d{args.duration}s, gunicorn 2 sync workers")
        rows.append((kind, bench_database(kind, app_url, bare_url, args)))
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print("| database | endpoint | req/s | p50 ms | p99 ms | failed | workers' CPU ms/request | app/peer | app/floor |")
    print("|---|---|---|---|---|---|---|---|---|")

    def line(kind, name, r, peer="", floor=""):
        print(f"| {kind} | {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['failed']} | {r['cpu_ms']:.2f} | "
              f"{peer} | {floor} |")

    for kind, result in rows:
        floor = result["floor"]
        line(kind, "bare insert (bench/bare_app.py)", result["bare"])
        for n, (peer, app, guarded) in enumerate(result["pairs"], 1):
            line(kind, f"peer: Flask-SQLAlchemy get, change, audit, commit (round {n})", peer)
            line(kind, f"**app post** (round {n})", app,
                 f"**{app['rps'] / peer['rps']:.2f}x** (CPU {peer['cpu_ms'] / app['cpu_ms']:.2f}x)",
                 f"{app['rps'] / floor['rps']:.2f}x")
            line(kind, f"peer + the app's guarantees written plainly: token, key record, data versions (round {n})",
                 guarded, f"app/this: {app['rps'] / guarded['rps']:.2f}x (CPU {guarded['cpu_ms'] / app['cpu_ms']:.2f}x)")
        line(kind, "app, no view (JSON 404 through every hook; its failed are the 404s)", floor)
        if result["before"] is not None:
            old, peer = result["before"], result["pairs"][-1][0]
            line(kind, "app post, --compare-with", old, f"{old['rps'] / peer['rps']:.2f}x",
                 f"{old['rps'] / floor['rps']:.2f}x")
    shutil.rmtree(workdir, ignore_errors=True)


def _server_cpu(database_url: str):
    """A function giving the CPU seconds spent so far by the PostgreSQL backends of `database_url`'s database
    (but the one asking; /proc, the server on this machine), or 0.0 for SQLite (its work is in process)."""
    if not database_url.startswith("postgresql"):
        return lambda: 0.0
    from sqlalchemy import create_engine, text

    connection = create_engine(database_url).connect()
    pids = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")

    def spent() -> float:
        total = sum(s for s in map(process_cpu_s, connection.scalars(pids)) if s is not None)
        connection.rollback()
        return total
    return spent


def in_process(args) -> None:
    """`--in-process`: each database prepared as for a run, then only `profile_one_post`'s figures."""
    os.environ.setdefault("SIAGA_ENV", "testing")
    workdir = Path(tempfile.mkdtemp(prefix="siaga-writebench-"))
    for kind, url in scratch_databases(workdir, args.pg, "writebench", args.only):
        print(f"== {kind}, in process")
        profile_one_post(prepare_database(url), cprofile=args.profile, rounds=args.in_process)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
