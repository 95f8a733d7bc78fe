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
        current_app.logger.warning("health check: database unreachable: %s", exc)
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        return jsonify(status="error", database="unavailable", reason=reason), 503
    return jsonify(status="ok", database="ok")
