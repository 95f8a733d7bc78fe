"""`GET /healthz`: is the app up, can it reach its database, and is the worker alive.

The status code is the load balancer's liveness of this app server: 503 only when the database does not
answer (nothing works then). A worker down (no heartbeat for `heartbeat.STALE_AFTER`, or none ever) does
not make this server unfit to serve pages, so it stays 200, with `"status": "degraded"` and the reason
in the body for monitoring: notifications, alerts and stored figures wait for the worker
(docs/DEPLOY.md, "The worker").
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from logistics.timeutil import utcnow
from siaga.extensions import db
from siaga.worker import heartbeat

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        seen = heartbeat.last_beat(db.session)
    except SQLAlchemyError as exc:
        db.session.rollback()
        # The details (host, port, driver's text) go to the log, never to whoever polls /healthz.
        current_app.logger.warning("health check: database unreachable: %s", exc)
        response = jsonify(status="error", database="unavailable", reason="the database did not answer")
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response
    now = utcnow()
    if heartbeat.fresh(seen, now):
        return jsonify(status="ok", database="ok", worker="ok")
    if seen is None:
        reason = "no worker heartbeat recorded: is `flask worker` running?"
    else:
        reason = f"no worker heartbeat for {int((now - seen).total_seconds())} s: notifications and alerts are delayed"
    return jsonify(status="degraded", database="ok", worker="down", reason=reason)


def register(app) -> None:
    app.register_blueprint(bp)
