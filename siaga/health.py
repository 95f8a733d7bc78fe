"""`GET /healthz`: is the app up, and can it reach its database."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from siaga.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        # The details (host, port, driver's text) go to the log, never to whoever polls /healthz.
        current_app.logger.warning("health check: database unreachable: %s", exc)
        response = jsonify(status="error", database="unavailable", reason="the database did not answer")
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response
    return jsonify(status="ok", database="ok")
