"""A kecamatan's dashboard figures computed alone (each kecamatan its own pass, as the worker did before)
against all the kecamatan of their kota in one pass (`together`, maps/dashboard.py), on the demo city on
PostgreSQL at the peak's clock: CPU of this thread and of the database's backends, per kecamatan, the two
alternating (docs/SCALING.md, "At national size").

    .venv/bin/python bench/figures_per_kota.py --pg postgresql://postgres@127.0.0.1:5432/siaga [--rounds 5]

It uses a scratch database beside --pg's (<db>_figures), migrated and seeded like the demo, then analysed.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.capacity import PEAK_CLOCK, InProcessMeter, load_average  # noqa: E402
from bench.live_app import prepare_database, scratch_postgres_url  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", required=True, help="a PostgreSQL URL; the scratch database goes beside it")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of each way")
    args = parser.parse_args()
    os.environ.setdefault("SIAGA_ENV", "testing")
    url = prepare_database(scratch_postgres_url(args.pg, "figures")).database_url
    database = url.rsplit("/", 1)[1]
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qc", "ANALYZE"], check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"commit {commit}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"load average before: {load_average()}", flush=True)

    from sqlalchemy import select

    from logistics.models import Kecamatan
    from maps.dashboard import ALERTS_SHOWN, EXAMPLES_PER_SOURCE
    from siaga import create_app
    from siaga.extensions import db
    from siaga.shared_figures import FIGURES, TOGETHER

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ELECTION_CLOCK": PEAK_CLOCK})
    with app.test_request_context("/"):
        session = db.session
        kota = session.scalar(select(Kecamatan.kota_id).order_by(Kecamatan.id).limit(1))
        ids = list(session.scalars(select(Kecamatan.id).where(Kecamatan.kota_id == kota).order_by(Kecamatan.id)))
        session.rollback()

        def alone():
            for kecamatan_id in ids:
                FIGURES["dashboard"](ids=(kecamatan_id,), examples=ALERTS_SHOWN)
                session.rollback()

        def together():
            TOGETHER["dashboard"](ids=(ids[0],), examples=ALERTS_SHOWN)
            session.rollback()

        def kota_scope():  # the kota's own figures (its screen), for scaling the national kota's cost
            FIGURES["dashboard"](ids=tuple(ids), examples=EXAMPLES_PER_SOURCE)
            session.rollback()

        ways = {"each kecamatan alone": alone, "the kota's kecamatan together": together,
                "(the kota's own figures, its whole scope)": kota_scope}
        totals = {name: [0.0, 0.0, 0.0] for name in ways}
        for run in ways.values():
            run()  # warm
        for _ in range(args.rounds):
            for name, run in ways.items():
                began = time.perf_counter()
                with InProcessMeter(database) as meter:
                    run()
                totals[name][0] += meter.app_s
                totals[name][1] += meter.db_s
                totals[name][2] += time.perf_counter() - began
        n = args.rounds * len(ids)
        print(f"{len(ids)} kecamatan, {args.rounds} rounds; per kecamatan (and per kota):")
        print("| way | app CPU ms | PostgreSQL CPU ms | wall ms | app CPU ms per kota | PostgreSQL CPU ms per kota |\n"
              "|---|---|---|---|---|---|")
        for name, (app_s, db_s, wall_s) in totals.items():
            print(f"| {name} | {app_s * 1000 / n:.1f} | {db_s * 1000 / n:.1f} | {wall_s * 1000 / n:.1f} "
                  f"| {app_s * 1000 / args.rounds:.1f} | {db_s * 1000 / args.rounds:.1f} |")
        db.session.remove()
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
