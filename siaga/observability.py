"""Seeing the system on the day: one JSON log line per request, and Prometheus metrics at `/metrics`.

Log line (logger `siaga.access`, to stderr): request id (an incoming `X-Request-ID` when it looks like
one, else a new one; sent back in the response), role, route (the endpoint and its URL rule, never the
raw path with ids), method, status, duration in ms. Never a name, a query string or a form value.

Metrics (prometheus_client): requests, latency histogram and 5xx per endpoint; the database pool's
checked-out connections and capacity; committed posts per minute by kind (counted from the audit trail's
actions when the transaction commits, so a refused or rolled-back post is not counted); and, computed at
scrape time, open incidents by triage and open alerts by kind and severity. Under gunicorn with several
workers set PROMETHEUS_MULTIPROC_DIR (an empty directory, emptied at each start) before the app is
imported: each worker writes its counters there and any worker answers a scrape with the sum
(docs/DEPLOY.md). `/metrics` holds no personal data, and answers only a `METRICS_TOKEN` bearer when that
is set, else only direct requests from loopback (no proxy header of any kind: `siaga.security.PROXY_HEADERS`).
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import re
import sys
import time
import uuid

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, func, inspect, select
from werkzeug.routing import Rule

from siaga.extensions import db
from siaga.security import through_a_proxy
from siaga.shared_figures import figure, shared

access_log = logging.getLogger("siaga.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

REQUESTS = Counter("siaga_http_requests_total", "HTTP requests answered", ["endpoint", "method", "status"])
ERRORS = Counter("siaga_http_errors_total", "HTTP requests answered with a 5xx", ["endpoint"])
LATENCY = Histogram("siaga_http_request_duration_seconds", "Time to answer a request", ["endpoint"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
ALERT_SOURCE_FAILURES = Counter("siaga_alert_source_failures_total",
                                "Alert sources that failed while /metrics counted alerts", ["source"])
POSTS = Counter("siaga_posts_total", "Committed changes by kind (audit actions: tps, delivery, incident...)",
                ["kind", "action"])
POOL_CHECKED_OUT = Gauge("siaga_db_connections_checked_out", "Database connections in use",
                         multiprocess_mode="livesum")
POOL_CAPACITY = Gauge("siaga_db_pool_capacity", "Database connections the pools may open (size + overflow)",
                      multiprocess_mode="livesum")

bp = Blueprint("metrics", __name__)


# --- logs and request metrics ----------------------------------------------------------------------------

def request_id_of(asking) -> str:
    """The request's id: its `X-Request-ID` when that looks like one, else a new one (`asking`: Flask's
    request, or the werkzeug request of siaga/live.py's early check)."""
    incoming = asking.headers.get("X-Request-ID", "")
    return incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _role() -> str:
    if g.get("log_role"):
        return g.log_role
    user = g.get("user")
    if user is not None:  # a before_request answered before `_note_role` ran: the role if loaded, no query
        role = inspect(user).dict.get("role")
        return role.value if role is not None else "unknown"
    caller = g.get("api_caller")
    if caller is not None:
        return caller.actor.role.value
    return "anonymous"


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id_of(request)


def _note_role() -> None:
    user = g.get("user")  # loaded by siaga.auth's before_request; read now, before a commit expires it
    g.log_role = user.role.value if user is not None else None


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:
        return response
    return answered(response, started, g.request_id, _role(), request.method, request.endpoint, request.url_rule)


def answered(response: Response, started: float, request_id: str, role: str, method: str, endpoint: str | None,
             rule: Rule | None) -> Response:
    """A request answered: counted, timed and logged (the access line), its id sent back. For every request
    Flask serves (`_finish`) and for a live page's check answered before Flask's request (siaga/live.py)."""
    seconds = time.perf_counter() - started
    endpoint = endpoint or "unmatched"
    status = response.status_code
    REQUESTS.labels(endpoint, method, str(status)).inc()
    LATENCY.labels(endpoint).observe(seconds)
    if status >= 500:
        ERRORS.labels(endpoint).inc()
    response.headers["X-Request-ID"] = request_id
    access_log.info(json.dumps({
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "request_id": request_id, "role": role,
        "method": method, "endpoint": endpoint, "route": rule.rule if rule is not None else None,
        "status": status, "duration_ms": round(seconds * 1000, 1),
    }, separators=(",", ":")))
    return response


def _configure_log(app: Flask) -> None:
    if access_log.handlers or not app.config.get("ACCESS_LOG", True):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


# --- posts and the pool ----------------------------------------------------------------------------------

def _count_posts(changes) -> None:
    """After a unit of work commits (logistics/services/unit_of_work.py): its audited actions are posts."""
    for action in changes.audited:
        POSTS.labels(action.split(".", 1)[0], action).inc()


_instrumented: set[int] = set()


def _instrument_pool(engine) -> None:
    if id(engine.pool) in _instrumented:
        return
    _instrumented.add(id(engine.pool))
    pool = engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if callable(size):
        POOL_CAPACITY.inc(size() + max(overflow, 0))
    event.listen(pool, "checkout", lambda *_: POOL_CHECKED_OUT.inc())
    event.listen(pool, "checkin", lambda *_: POOL_CHECKED_OUT.dec())


# --- state computed at scrape time -----------------------------------------------------------------------

class StateCollector:
    """Open incidents by triage (one indexed count) and open alerts by kind and severity (the dashboard's
    alert sources, counted once for every process and server: siaga/shared_figures.py). Counts only: no
    names, no places."""

    def collect(self):
        from logistics.models import HealthIncident
        from logistics.rules.lifecycles.incident import OPEN

        incidents = GaugeMetricFamily("siaga_open_incidents", "Health incidents not closed, by triage",
                                      labels=["triage"])
        for triage, count in db.session.execute(select(HealthIncident.triage, func.count()).where(
                HealthIncident.status.in_(OPEN)).group_by(HealthIncident.triage)):
            incidents.add_metric([triage.value], count)
        yield incidents
        alerts = GaugeMetricFamily("siaga_open_alerts", "Open alerts on the coordinators' dashboard",
                                   labels=["kind", "severity"])
        for (kind, severity), count in sorted(_alert_counts().items()):
            alerts.add_metric([kind, severity], count)
        yield alerts
        yield GaugeMetricFamily("siaga_worker_heartbeat_age_seconds", "Seconds since the worker's last heartbeat "
                                "(+Inf: none ever); over 30 s /healthz says the worker is down",
                                value=_heartbeat_age())


def _heartbeat_age() -> float:
    from logistics.timeutil import utcnow
    from siaga.worker import heartbeat

    seen = heartbeat.last_beat(db.session)
    return float("inf") if seen is None else max(0.0, (utcnow() - seen).total_seconds())


def _alert_counts() -> dict[tuple[str, str], int]:
    from siaga.election import election_day

    return shared("metrics-open-alerts", day=election_day())


@figure("metrics-open-alerts")
def _count_alerts(day) -> dict[tuple[str, str], int]:
    from logistics.queries.alerts import alert_counts
    from logistics.queries.zones import day_window
    from siaga.election import clock_on

    def failed(source: str, error: Exception) -> None:
        # A broken source must not turn /metrics into a 500: the others are still counted.
        logging.getLogger("siaga.metrics").error("alert source %s failed in /metrics: %r", source, error)
        ALERT_SOURCE_FAILURES.labels(source=source).inc()

    start, end = day_window(db.session, day)
    counts: dict[tuple[str, str], int] = {}
    for c in alert_counts(db.session, clock_on(day), start, end, on_error=failed):
        counts[(c.kind, c.severity)] = counts.get((c.kind, c.severity), 0) + c.n
    return counts


# --- /metrics --------------------------------------------------------------------------------------------

def _allowed() -> tuple[bool, int]:
    token = current_app.config.get("METRICS_TOKEN") or os.environ.get("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()), 401
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        loopback = False
    return loopback and not through_a_proxy(), 403


@bp.get("/metrics")
def metrics():
    allowed, refusal = _allowed()
    if not allowed:
        response = Response("metrics: not for you\n", status=refusal, mimetype="text/plain")
        if refusal == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        counters = CollectorRegistry()
        multiprocess.MultiProcessCollector(counters)
    else:
        from prometheus_client import REGISTRY as counters
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector())
    body = generate_latest(counters) + generate_latest(state)
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


def register(app: Flask) -> None:
    from logistics.services.unit_of_work import after_commit

    _configure_log(app)
    after_commit(_count_posts)
    with app.app_context():
        _instrument_pool(db.engine)
    # First of all before_request functions (one may answer early: a redirect, a 429), so every request is
    # timed and logged; the role once siaga.auth has loaded the user (register() is called after auth's).
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.before_request(_note_role)
    app.after_request(_finish)
    app.register_blueprint(bp)
