"""The lifecycle modules (logistics.rules.lifecycles) are the one statement of each record's states and steps,
and "late" is one rule: the map's meal mode and the dashboard agree on every TPS at any clock of a drill day."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from logistics.actor import Actor
from logistics.drill.runner import DrillPlay, start_drill
from logistics.models import Delivery, DeliveryKind, Kecamatan, Tps
from logistics.queries.alerts import collect_alerts
from logistics.queries.map_points import meal_states
from logistics.queries.summary import kecamatan_summary
from logistics.rules.lifecycles.delivery import DELIVERY, DONE, REACHED, DeliveryStatus as D
from logistics.rules.lifecycles.incident import INCIDENT, IncidentStatus as I
from logistics.rules.lifecycles.tps_day import TPS_DAY, TpsStatus as T
from logistics.rules.meal_state import MealState
from logistics.services.meal_plans import plan_meals
from logistics.timeutil import local_day, to_local, utcnow


def test_the_lifecycles_state_their_end_states_and_what_each_step_sets():
    assert DELIVERY.end_states == DONE == {D.DELIVERED, D.FAILED} and REACHED == DONE | {D.ARRIVED}
    assert INCIDENT.end_states == {I.CLOSED} and TPS_DAY.end_states == {T.HANDED_OVER}
    # A step's columns may hold a value in its state and every later one, never in an earlier one.
    assert DELIVERY.fields.allowed_in["arrived_at"] == ("arrived", "delivered", "failed")
    assert DELIVERY.fields.allowed_in["failure_reason"] == ("failed",)
    assert TPS_DAY.fields.allowed_in["counted_at"] == ("counted", "handed_over") and not TPS_DAY.fields.required_in
    assert INCIDENT.step_times[I.TREATED_ON_SITE] == "treated_at"
    assert DELIVERY.after(D.PLANNED) == (D.DISPATCHED, D.ARRIVED, D.DELIVERED, D.FAILED)


def test_the_derived_check_constraints_are_the_ones_the_migrations_created():
    """Deriving the CHECKs from the lifecycles changed no constraint: the database needs no migration."""
    import importlib

    write_path = importlib.import_module("migrations.versions.0007_write_path")
    drill = importlib.import_module("migrations.versions.0012_drill")
    assert DELIVERY.fields.sql() == drill.FIELDS_AFTER
    assert TPS_DAY.fields.sql() == write_path.TPS_STEP_TIMES_FIT_STATUS
    assert INCIDENT.fields.sql() == write_path.INCIDENT_STEP_TIMES_FIT_STATUS


def test_the_maps_meal_mode_and_the_dashboard_agree_on_every_tps_through_a_played_drill_day(session):
    """A drill day played hour by hour: at each clock, the TPS the map colours late are those with a
    meal_late alert on the dashboard, and the dashboard's table counts as many late meals."""
    day = to_local(utcnow()).date()
    kec = session.scalar(select(Kecamatan).where(Kecamatan.nama == "Gerunggang"))
    plan_meals(session, Actor.system("test"), day, kecamatan_ids=[kec.id])
    started = utcnow()
    drill = start_drill(session, day, seed=5, speed=60.0, kecamatan_ids=[kec.id], tps_limit=12,
                        clock=lambda: started)
    play = DrillPlay(session, drill)
    start, end = local_day(day)
    tps_ids = list(session.scalars(select(Tps.id).where(Tps.drill.is_(True))))
    seen = set()
    for minutes in range(6 * 60, 24 * 60, 25):
        offset = timedelta(minutes=minutes)
        play.play_due(play.pace.wall_time(offset))
        moment = start + offset
        on_map = {t for t, state in meal_states(session, tps_ids, moment, start, end).items()
                  if state == MealState.LATE}
        alerts = [a for a in collect_alerts(session, moment, start, end, kecamatan_ids=[kec.id])
                  if a.kind == "meal_late"]
        assert on_map == {a.tps_id for a in alerts if a.tps_id in tps_ids}, moment
        late_in_table = sum(r["deliveries_late"] for r in kecamatan_summary(session, moment, start, end, [kec.id]))
        assert late_in_table == len(alerts), moment
        seen |= on_map
    # The day had late meals (the schedule makes some), and the courier's "sampai" ended them.
    assert seen
    statuses = set(session.scalars(select(Delivery.status).where(Delivery.drill.is_(True),
                                                                 Delivery.kind == DeliveryKind.MEAL)))
    assert statuses <= REACHED
