"""Benchmark: the coordinators' dashboard refresh from the stored figures, app CPU per request, in process
(docs/SCALING.md, "What would be needed", item 3).

The demo city on a database of either kind (prepared here with --prepare: migrated, seeded, analysed), the
clock at the model's peak (12:10 WIB on the demo's election day), figures shared (FIGURES_SHARE_S long
enough that the snapshot stays one for the run). The coordinator logs in with the test client; then, in
rounds of 20 requests, `time.process_time` per request of:
  * refresh: GET /dashboard?kecamatan=5 (one kecamatan, 52 TPS, 100 alerts) or /dashboard (the city), no
    condition: from the unchanged snapshot, what `bench/capacity.py`'s "dashboard refresh" asks;
  * new snapshot (--cold): the same with nothing kept between requests (maps/dashboard.py's kept pieces
    off): what the first refresh after the worker stored new figures costs a process;
  * poll (--poll): the same with If-None-Match of the page's tag: a 304.
One path per process (run it twice for both) so one path's garbage is not counted to the other; to compare
two commits, run it from each checkout in turn (A/B, alternating), e.g. ROOT=/path/of/other/checkout.

Usage:  .venv/bin/python bench/dashboard_refresh.py --db postgresql+psycopg://postgres@127.0.0.1:5432/<db>
        [--prepare] [--path kec|city] [--cold] [--poll] [--requests 200]
Benchmarks are not tests: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(os.environ.get("ROOT") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

PEAK_CLOCK = "2025-08-27T12:10:00+07:00"  # bench/capacity.py's peak
PATHS = {"kec": "/dashboard?kecamatan=5", "city": "/dashboard"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--prepare", action="store_true", help="empty, migrate, seed and analyse the database first")
    parser.add_argument("--path", choices=sorted(PATHS), default="kec")
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--poll", action="store_true")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    os.environ["SIAGA_ENV"] = "testing"
    os.environ["ELECTION_CLOCK"] = PEAK_CLOCK
    os.environ.setdefault("MAP_GRID_REFRESH", "off")
    from bench.live_app import DEMO_PASSWORD, prepare_database

    if args.prepare:
        prepare_database(args.db)
        if args.db.startswith("postgresql"):
            from sqlalchemy import create_engine, text

            engine = create_engine(args.db, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text("ANALYZE"))
            engine.dispose()
    from siaga import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "FIGURES_SHARE_S": 3600})
    logging.disable(logging.WARNING)
    if args.cold:
        import maps.dashboard as dashboard

        dashboard._pieces.size = dashboard._areas.size = 0
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "koordinator", "password": DEMO_PASSWORD,
                                       "csrf_token": token}).status_code == 302
    path = PATHS[args.path]
    for _ in range(5):  # warm: imports, the snapshot stored, the charts drawn
        response = client.get(path)
        assert response.status_code == 200, response.status_code
    headers = {"If-None-Match": response.headers["ETag"]} if args.poll else {}
    rounds = []
    for _ in range(max(1, args.requests // 20)):
        began = time.process_time()
        for _ in range(20):
            status = client.get(path, headers=headers).status_code
        rounds.append((time.process_time() - began) * 1000 / 20)
    print(f"{args.path}{' cold' if args.cold else ''}{' poll' if args.poll else ''}: {status}, "
          f"{len(response.data) / 1024:.0f} KB; app CPU per request: median {statistics.median(rounds):.2f} ms, "
          f"min {min(rounds):.2f} ms ({len(rounds)} rounds of 20); load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
