"""What the dashboard's charts and the situation report cost (docs/PERFORMANCE.md, "Charts and the
situation report"): drawing the five charts as SVG (every dashboard render that is not a 304), the page's
render with and without them, and one A4 report (on demand; the worker's hourly ones). On the database of
DATABASE_URL (the demo city, or bench/national.py's), the figures shared as in production.

    DATABASE_URL=sqlite:///instance/siaga.db .venv/bin/python -m bench.charts [--kecamatan ID]
"""
from __future__ import annotations

import argparse
import statistics
import time


def timed(function, repeat: int) -> tuple[float, float]:
    """Median and worst of `repeat` runs, in ms."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--kecamatan", type=int)
    args = parser.parse_args()
    from siaga.app import create_app

    app = create_app()
    app.config["FIGURES_SHARE_S"] = 15
    from maps.charts import dashboard_charts, svg
    from maps.situation_report import Scope, report_for
    from siaga.extensions import db
    from siaga.shared_figures import shared

    ids = (args.kecamatan,) if args.kecamatan else None
    with app.test_request_context("/dashboard"):
        figures = shared("dashboard", ids=ids, examples=100 if ids else 5)
        rows = figures["kota_rows"] or figures["rows"]

        def charts():
            return [svg(c) for c in dashboard_charts(figures, rows, "Kecamatan")]

        median, worst = timed(charts, args.repeat)
        size = sum(len(s) for s in charts())
        print(f"5 charts drawn as SVG: median {median:.1f} ms, worst {worst:.1f} ms, {size / 1024:.0f} KB inline")
        from maps.charts import drawn_charts

        median, worst = timed(lambda: drawn_charts(figures, rows, "Kecamatan"), args.repeat)
        print(f"the same, from the per-process cache (every viewer after the first): median {median:.3f} ms")
        scope = Scope("kecamatan", ids[0], "bench", ids) if ids else Scope("all", 0, "bench", None)
        median, worst = timed(lambda: report_for(db.session, scope), max(3, args.repeat // 4))
        pdf, _ = report_for(db.session, scope)
        print(f"situation report (A4 PDF): median {median:.0f} ms, worst {worst:.0f} ms, {len(pdf) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
