"""/tps/<id>: a TPS's record for coordinators: status timeline, deliveries, incidents."""
from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import select

from logistics.models import Delivery, HealthIncident, Tps
from logistics.permissions import Permission
from logistics.services.tps_status import STEP_TIME_FIELD
from maps import bp
from logistics.permissions.read_scope import can_see
from siaga.auth import current_actor, requires
from siaga.extensions import db
from siaga.fields import ID_PATH



@bp.get(f"/tps/<{ID_PATH}:tps_id>")
@requires(Permission.FIGURES_VIEW)
def tps_record(tps_id: int):
    tps = db.session.get(Tps, tps_id)
    if tps is None:
        abort(404)
    if not can_see(db.session, current_actor(), tps):
        abort(403)
    deliveries = db.session.scalars(select(Delivery).where(Delivery.tps_id == tps.id)
                                    .order_by(Delivery.planned_at, Delivery.id)).all()
    incidents = db.session.scalars(select(HealthIncident).where(HealthIncident.tps_id == tps.id)
                                   .order_by(HealthIncident.occurred_at.desc())).all()
    steps = [(status, getattr(tps, field)) for status, field in STEP_TIME_FIELD.items()]
    return render_template("maps/tps.html", tps=tps, steps=steps, deliveries=deliveries, incidents=incidents)
