"""Courier page: today's route in order, one meal round at a time; mark each stop dispatched and arrived
(the TPS officer confirms the receipt)."""
from __future__ import annotations

from flask import abort, render_template

from logistics.models import DeliveryStatus
from logistics.permissions import Permission
from logistics.queries.courier_route import courier_route
from logistics.rules.lifecycles.delivery import eta_from_now, is_at_risk, is_late
from logistics.settings import settings_for
from field import bp
from siaga.election import election_day, election_now, election_window
from siaga.i18n import label
from siaga.auth import current_actor, requires
from siaga.extensions import db
from siaga.fields import FormText
from siaga.forms import FormSchema, with_query
from siaga.live import live_page
from logistics.services.data_versions import scoped_names



class RouteQuery(FormSchema):
    putaran = FormText(40)  # a round's planned time, as the tabs link it (ISO 8601)


def route_versions(**_kwargs) -> tuple[str, ...]:
    """What a courier's route shows: their deliveries (stops, steps, ETAs)."""
    return scoped_names("delivery", "c", current_actor().person_id)


@bp.get("/rute")
@requires(Permission.ROUTE_VIEW)
@live_page(route_versions)
@with_query(RouteQuery)
def route(query: dict):
    """The stops of one round (planned time); by default the first round with stops still to do."""
    actor = current_actor()
    if actor.person_id is None:
        abort(403)
    start, end = election_window()
    stops = courier_route(db.session, actor.person_id, start, end)
    rounds: dict = {}
    for delivery in stops:
        rounds.setdefault(delivery.planned_at, []).append(delivery)
    chosen = query.get("putaran", "")
    keys = list(rounds)
    current = next((k for k in keys if k.isoformat() == chosen), None) \
        or next((k for k in keys if not all(d.reached for d in rounds[k])), keys[-1] if keys else None)
    tabs = [(k, sum(d.reached for d in rounds[k]), len(rounds[k])) for k in keys]
    shown = rounds.get(current, [])
    now, grace = election_now(), settings_for(db.session).meal_late
    # A stop not reached yet: its estimate from now on, and late (the dashboard's rule) past its deadline.
    etas = {d.id: eta_from_now(d.eta_at, now) for d in shown if not d.reached}
    late_ids = {d.id for d in shown if is_late(d.status, d.planned_at, now, grace)}
    at_risk_ids = {d.id for d in shown if is_at_risk(d.status, d.planned_at, etas.get(d.id))} - late_ids
    return render_template("field/route.html", stops=shown, tabs=tabs, current=current, at_risk_ids=at_risk_ids,
                           etas=etas, late_ids=late_ids, step_labels={s.value: label(s) for s in DeliveryStatus},
                           finished=sum(d.reached for d in stops), total=len(stops), day=election_day(),
                           precache=True)  # the courier's landing page (field/offline.py)
