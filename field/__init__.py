"""The field pages (`/lapangan`): TPS officers, couriers and medics posting from a phone.

Phone first, Bahasa Indonesia first, light, and usable on a bad connection: every form carries an
idempotency key and `static/field.js` queues submissions made offline and sends them later.
"""
from __future__ import annotations

from flask import Blueprint, Flask

from logistics.models import Role
from logistics.rules.tapped import MAX_AGE
from siaga.auth import register_home

bp = Blueprint("field", __name__, url_prefix="/lapangan", template_folder="templates",
               static_folder="static", static_url_path="/static")


def register(app: Flask) -> None:
    """The field pages and the medics' officer-health pages (blueprint "health_checks"), and where each
    field role lands."""
    from field import health_checks

    app.register_blueprint(bp)
    app.register_blueprint(health_checks.bp)
    register_home(Role.FIELD_OFFICER, "field.my_tps")
    register_home(Role.COURIER, "field.route")
    register_home(Role.MEDIC, "field.my_station")


# How old a queued tap may be and still be its step's time (the rule's bound), for the outbox's list.
bp.add_app_template_global(lambda: int(MAX_AGE.total_seconds() * 1000), "tap_max_age_ms")


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from /lapangan/ so its scope covers every field page."""
    from flask import send_from_directory

    response = send_from_directory(bp.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/lapangan/"
    return response


from field import courier, incidents, offline, officer  # noqa: E402,F401  (registers the views)
