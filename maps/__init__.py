"""Coordinators' live map, command dashboard, exports and TPS record pages (blueprint "maps"), and their
planning pages (blueprint "planning")."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("maps", __name__, template_folder="templates", static_folder="static",
               static_url_path="/maps/static")


def register(app: Flask) -> None:
    from logistics.models import Role
    from maps import dashboard, data, exports, page, planning, records, reports_web  # noqa: F401  (routes)
    from siaga.auth import register_home

    app.register_blueprint(bp)
    app.register_blueprint(planning.bp)
    data.keep_bodies(app)
    register_home(Role.COORDINATOR, "maps.dashboard")
    tiles = "https://tile.openstreetmap.org"
    sources = app.config.get("CSP_IMG_SOURCES", "")
    if tiles not in sources.split():
        app.config["CSP_IMG_SOURCES"] = (sources + " " + tiles).strip()
