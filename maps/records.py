"""/tps/<id>: a TPS's record for coordinators: status timeline, deliveries, incidents."""
from __future__ import annotations

from flask import render_template

from logistics.models import Tps
from logistics.permissions import Permission
from logistics.services.tps_status import STEP_TIME_FIELD
from maps import bp
from logistics.permissions.read_scope import load_visible
from logistics.queries.field_lists import tps_record_lists
from siaga.auth import current_actor, requires
from siaga.extensions import db
from siaga.fields import ID_PATH



@bp.get(f"/tps/<{ID_PATH}:tps_id>")
@requires(Permission.FIGURES_VIEW)
def tps_record(tps_id: int):
    tps = load_visible(db.session, current_actor(), Tps, tps_id, "TPS")
    deliveries, incidents = tps_record_lists(db.session, tps.id)
    steps = [(status, getattr(tps, field)) for status, field in STEP_TIME_FIELD.items()]
    return render_template("maps/tps.html", tps=tps, steps=steps, deliveries=deliveries, incidents=incidents)
