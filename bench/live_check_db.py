"""Benchmark: where an open field page's live check spends the database's CPU, measured apart (issue 26,
docs/SCALING.md "The live check's database CPU, measured apart").

One gunicorn sync worker serves the seeded demo city on a scratch database (<db>_livecheck beside --pg's),
the clock at the peak; the officer `petugas` checks their TPS page with the tag it was given (a 304 answered
by siaga/live.py's `EarlyCheck`, the row "an open field page's live check" of bench/capacity.py). wrk, one
connection, --duration seconds; then, of the backend serving the worker's connections:
  * its CPU (utime and stime apart, /proc/<pid>/stat) per check;
  * every statement it ran, from pg_stat_statements (the server must load it: `shared_preload_libraries`; a
    scratch cluster of one's own, not the shared one): calls per check, execution and planning time per call,
    and how often it was planned (a prepared statement is planned once, or re-planned only when it chooses a
    custom plan);
  * with --strace, the system calls of --strace-checks checks (strace -c on the backend): what a round trip
    costs in the kernel, and how many a check makes (one recvfrom with data per round trip);
  * the statement's plan (EXPLAIN (ANALYZE, BUFFERS) with the check's parameters): heap fetches of the
    index-only scans.
The app's worker CPU per check is printed too (for the bench's own comparison, not the measurement here).
--rows N adds N TPS counters to data_version (at the peak it holds one per TPS and table: ≈ 1.7 M rows; the
demo's 748 are scanned whole, by a plan no national database uses). --mix K sends the page itself (its full
answer, Flask's way, whose session ends with a ROLLBACK) after every K checks, as a process serves them at the
peak: bench/capacity.py's row sends checks only. --root serves another checkout (a worktree of an older commit).

Usage:  .venv/bin/python bench/live_check_db.py --pg postgresql://postgres@127.0.0.1:20301/x [--duration 10]
          [--strace] [--vacuum] [--rows 1700000] [--mix 3] [--root ../old-tree]
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

from bench.capacity import PEAK_CLOCK  # noqa: E402
from bench.live_app import (  # noqa: E402
    drop_scratch_database, prepare_database, proc_stat, running, scratch_postgres_url,
)
from bench.load_faults import logged_in  # noqa: E402
from bench.write_path import parse_wrk  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid: int) -> tuple[float, float]:
    fields = proc_stat(pid)
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", required=True, help="a server with pg_stat_statements loaded")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--strace", action="store_true", help="also count the backend's system calls")
    parser.add_argument("--strace-checks", type=int, default=500)
    parser.add_argument("--vacuum", action="store_true", help="VACUUM (the visibility map set) before the run")
    parser.add_argument("--rows", type=int, default=0,
                        help="data_version at national size: this many TPS counters more (e.g. 1700000)")
    parser.add_argument("--root", type=Path, default=ROOT, help="serve another checkout (e.g. a git worktree of an "
                        "older commit)")
    parser.add_argument("--full", action="store_true", help="the full page only (no If-None-Match): with --mix's "
                        "figure, what the checks in the mix cost")
    parser.add_argument("--mix", type=int, default=0,
                        help="the full page (the page's own 200, Flask's way) once every MIX checks, as at the peak")
    args = parser.parse_args()
    os.environ.setdefault("SIAGA_ENV", "testing")

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = scratch_postgres_url(args.pg, "livecheck")
    database = make_url(url).database
    try:
        demo = prepare_database(url)
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        scratch = create_engine(demo.database_url, isolation_level="AUTOCOMMIT")
        with scratch.connect() as c:  # the planner's statistics, as bench/capacity.py
            if args.rows:  # the TPS's own counters, at the peak one per TPS and table (names no page here reads)
                c.execute(text("INSERT INTO data_version (name, shard, version) SELECT k || '@t' || i, 0, 1 "
                               "FROM generate_series(1000001, 1000000 + :n / 2) i, unnest(array['tps', 'delivery']) k"),
                          {"n": args.rows})
            c.execute(text("VACUUM ANALYZE" if args.vacuum else "ANALYZE"))
        scratch.dispose()
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.root, capture_output=True,
                                text=True).stdout.strip()
        print(f"commit {commit}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average "
              f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)
        with running(demo.database_url, workers=1, env={"ELECTION_CLOCK": PEAK_CLOCK}, root=args.root) as server:
            worker = server.worker_pids()[0]
            browser = logged_in(server.url, "petugas")
            cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
            path = f"/lapangan/tps/{demo.tps_id}"
            tag = browser.get(server.url + path).headers["ETag"]
            headers = ["-H", f"Cookie: {cookie}", *(() if args.full else ("-H", f"If-None-Match: {tag}"))]
            wrk = ["wrk", "-t1", "-c1", "--latency", *headers, server.url + path]
            if args.mix:  # every MIX-th request without If-None-Match: the full page
                script = Path(f"/tmp/live_check_mix_{os.getpid()}.lua")
                script.write_text(f"n = 0\nrequest = function()\n  n = n + 1\n  if n % {args.mix + 1} == 0 then\n"
                                  f"    return wrk.format(nil, nil, {{Cookie = [[{cookie}]]}})\n  end\n"
                                  f"  return wrk.format()\nend\n")
                wrk[4:4] = ["-s", str(script)]
            parse_wrk(subprocess.run([*wrk[:1], "-d2s", *wrk[1:]], capture_output=True, text=True).stdout)  # warm
            with admin.connect() as c:
                backends = c.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"),
                                     {"d": database}).scalars().all()
                c.execute(text("SELECT pg_stat_statements_reset()"))
            before = {pid: cpu(pid) for pid in backends}
            app0 = sum(cpu(worker))
            out = subprocess.run([*wrk[:1], f"-d{args.duration}s", *wrk[1:]], capture_output=True, text=True).stdout
            result = parse_wrk(out)
            n = result["requests"]
            what = (f"requests ({args.mix} checks and a full page)" if args.mix else "full pages" if args.full
                    else "checks")
            app = (sum(cpu(worker)) - app0) * 1000 / n
            after = {pid: cpu(pid) for pid in backends}
            user = sum(after[p][0] - before[p][0] for p in backends) * 1000 / n
            system = sum(after[p][1] - before[p][1] for p in backends) * 1000 / n
            with admin.connect() as c:
                statements = c.execute(text(
                    "SELECT calls, total_exec_time, plans, total_plan_time, query FROM pg_stat_statements "
                    "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = :d) ORDER BY calls DESC"),
                    {"d": database}).all()
            print(f"\n{n} {what} in {args.duration} s ({result['rps']:.0f}/s, {result['failed']} failed), "
                  f"backends {backends}")
            print(f"app worker CPU {app:.3f} ms a request; the backends' CPU {user + system:.3f} ms a request "
                  f"(user {user:.3f}, system {system:.3f})")
            print("| calls a request | exec ms a call | plans a call | plan ms a call | statement |\n|---|---|---|---|---|")
            for calls, exec_ms, plans, plan_ms, query in statements:
                print(f"| {calls / n:.3f} | {exec_ms / max(calls, 1):.4f} | {plans / max(calls, 1):.3f} | "
                      f"{plan_ms / max(plans, 1):.4f} | {' '.join(query.split())[:110]} |")
            if args.strace:
                strace_checks(wrk, backends, args.strace_checks)
            explain(demo.database_url, database)
    finally:
        drop_scratch_database(url)
    return 0


def strace_checks(wrk: list[str], backends: list[int], checks: int) -> None:
    """strace -c on the backend over about `checks` checks (wrk at a fixed rate): system calls per check."""
    tracers = [subprocess.Popen(["strace", "-c", "-p", str(pid)], stderr=subprocess.PIPE, text=True)
               for pid in backends]
    time.sleep(1)
    rate = 200  # about what a traced backend answers
    out = subprocess.run([*wrk[:1], f"-d{checks // rate}s", *wrk[1:]], capture_output=True, text=True).stdout
    n = parse_wrk(out)["requests"]
    for tracer in tracers:
        tracer.send_signal(2)
    for tracer in tracers:
        report = tracer.communicate()[1]
        print(f"\nstrace -c over {n} checks (per check: calls column / {n}):")
        for line in report.splitlines():
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$", line)
            if m:
                print(f"  {m.group(2)}: {int(m.group(1)) / n:.2f} a check")


def explain(database_url: str, database: str) -> None:
    """The check's statement, as the app compiles it, under EXPLAIN (ANALYZE, BUFFERS), with the officer's
    login and their TPS page's names."""
    os.environ["DATABASE_URL"] = database_url
    from siaga import create_app
    from siaga.auth import LOGIN_HOLDS
    from siaga.extensions import db
    from logistics.queries.data_versions import _with
    from logistics.queries.kept import KEPT_NAMES
    from logistics.models import User
    from sqlalchemy import select

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        view = app.view_functions["field.tps_page"] if "field.tps_page" in app.view_functions else None
        user = db.session.scalar(select(User).where(User.username == "petugas"))
        names_of = getattr(view, "live_names_from_address", None)
        names = (*names_of(tps_id=user.tps_id), *KEPT_NAMES) if names_of else KEPT_NAMES
        sql, order, fixed = _with(db.engine.dialect, LOGIN_HOLDS, len(names), ("login_user", "login_version"))
        given = {**fixed, "login_user": user.id, "login_version": user.session_version,
                 **{f"names_{i}": name for i, name in enumerate(names, 1)}}
        connection = db.session.connection()
        rows = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, SUMMARY ON) " + sql,
                                          tuple(given[k] for k in order) if order else given).all()
        print(f"\nthe statement ({len(names)} names):\n{sql}\n")
        print("\n".join(r[0] for r in rows))
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
