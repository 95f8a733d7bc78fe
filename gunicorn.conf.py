"""gunicorn settings shared by every way Siaga TPS is served: the demo (scripts/demo.sh), the local
cluster (scripts/cluster.sh), the benchmarks and live tests (bench/live_app.py) and production
(docs/DEPLOY.md). gunicorn reads ./gunicorn.conf.py by default; the scripts also pass it with -c.
Command-line options (--workers, --bind...) override what is set here.

Metrics with several workers: each worker is a process with its own counters, so prometheus_client's
multiprocess mode keeps them in files under PROMETHEUS_MULTIPROC_DIR, and any worker answers a scrape
with the sum (siaga/observability.py). The directory must be set before the app is imported, be empty
at start (stale files from an earlier run would be added in), and the library must be told when a
worker exits (`child_exit`), or a dead worker's gauges are summed for ever. When the variable is not
set, a private directory is made here and removed at exit, so metrics add up under gunicorn however
it is started. Several servers on one machine need one directory each (scripts/cluster.sh does that).
"""
from __future__ import annotations

import os
import shutil
import tempfile

worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 30  # a worker stuck longer than this is killed and replaced by the master
graceful_timeout = 10  # on SIGTERM, requests in flight get this long to finish
accesslog = None  # the app writes one JSON line per request itself (siaga.observability)

_own_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _own_metrics_dir = tempfile.mkdtemp(prefix="siaga-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir


def on_starting(server):
    """The master, once, before any worker: start from an empty metrics directory."""
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):  # only the library's own files (counter_1234.db, gauge_livesum_1234.db...)
        if name.endswith(".db"):
            os.unlink(os.path.join(path, name))


def child_exit(server, worker):
    """A worker ended (restart, crash, kill -9): its live gauges (pool use) stop counting."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
