"""The database failover, short (PostgreSQL CI runs): bench/failover.py's rehearsal with 8 clients for
15 s. A primary and its synchronous standby of the test's own (initdb under /tmp, free ports), two app
servers and the worker behind nginx on libpq's multi-host URL (`target_session_attrs=read-write`); the
primary is killed -9 at 4 s and the standby promoted 2 s later. Every acknowledged post is stored exactly
once on the new primary, the only 5xx are the app's 503 + Retry-After inside the switch window (the kill
to the first post the new primary acknowledged), the window is at most 30 s, the worker beats again, and
the old primary, rebuilt as the standby (pg_rewind), holds every post and gets the next one synchronously.
scripts/failover-rehearsal.sh is the long version (docs/DEPLOY.md has a run).

Skipped, with the reason, on the SQLite run and where PostgreSQL's server binaries, nginx or Redis are
missing. Everything it starts is stopped and removed whatever happens (bench.failover.rehearse).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from bench.failover import WINDOW_LIMIT_S, missing_prerequisite, rehearse
from bench.live_app import free_ports

pytestmark = pytest.mark.live


def test_a_killed_primary_loses_no_acknowledged_post(database_url):
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    reason = missing_prerequisite(database_url, redis_url)
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="siaga-failover-"))
    root.chmod(0o755)  # the `postgres` user reaches its data directories under it
    try:
        figures = rehearse(root, tuple(free_ports(2)), None, redis_url, clients=8, duration=15, kill_at=4,
                           decide_after=2, fsync=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(figures.report())
    assert figures.acked >= 10 and figures.stored == figures.acked, figures.report()
    assert (figures.lost, figures.duplicated, figures.abandoned, figures.refused) == (0, 0, 0, 0), figures.report()
    assert figures.five_xx_outside_window == 0, figures.report()
    assert 0 < figures.window_s <= WINDOW_LIMIT_S, figures.report()
    assert figures.standby_has_all and figures.post_after_rebuild_on_both, figures.report()
    assert figures.worker_ok_after, figures.report()
    assert figures.ok, figures.report()
