"""The load harness, short (CI): bench/load_faults.py's clients for ~20 s against a live gunicorn on a
scratch database of the suite's kind, no faults. Every acknowledged post is stored exactly once,
nothing is lost or duplicated, and no request gets a 5xx. (The fault phases — killed workers, a
database restart — run from bench/load_faults.py; see docs/PERFORMANCE.md.)"""
from __future__ import annotations

import pytest

from bench.live_app import drop_scratch_database, prepare_database, running, scratch_postgres_url
from bench.load_faults import run_phase

pytestmark = [pytest.mark.live, pytest.mark.load]

CLIENTS = 20
SECONDS = 20


def test_short_load_stores_every_acknowledged_post_exactly_once(database_url, tmp_path):
    url = (f"sqlite:///{tmp_path}/load.db" if database_url.startswith("sqlite")
           else scratch_postgres_url(database_url, "load"))
    demo = prepare_database(url)
    with running(demo.database_url, workers=2, log_path=str(tmp_path / "gunicorn.log")) as server:
        result = run_phase("ci", server, demo, CLIENTS, SECONDS)
    drop_scratch_database(demo.database_url)
    print(result.report())
    stats = result.stats
    assert len(stats.acked) > 20, result.report()  # the harness really posted
    assert not result.lost and not result.duplicated, result.report()
    assert not stats.abandoned and not stats.rejected, result.report()
    assert not stats.five_xx, result.report()
    assert set(result.stored) == set(stats.acked), result.report()
