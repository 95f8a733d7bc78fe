"""Courier page: today's route in order; mark each stop dispatched and delivered."""
from __future__ import annotations

from flask import abort, render_template

from logistics.models import Role
from logistics.queries.courier_route import courier_route
from field import bp
from field.web import day_window, election_day
from siaga.auth import current_actor, login_required
from siaga.extensions import db
from siaga.i18n import register_english

register_english({
    "Rute hari ini": "Today's route",
    "Berangkat": "Dispatched",
    "Sudah sampai": "Delivered",
    "Berangkat ke sini": "Set off for this stop",
    "Tandai sampai": "Mark delivered",
    "Tidak ada pengiriman untuk Anda hari ini.": "No deliveries for you today.",
    "Perhentian": "Stop",
    "{done} dari {total} perhentian selesai": "{done} of {total} stops done",
})


@bp.get("/rute")
@login_required(Role.COURIER)
def route():
    actor = current_actor()
    if actor.person_id is None:
        abort(403)
    start, end = day_window()
    stops = courier_route(db.session, actor.person_id, start, end)
    finished = sum(1 for d in stops if d.delivered_at or d.failed_at)
    return render_template("field/route.html", stops=stops, finished=finished, day=election_day())
