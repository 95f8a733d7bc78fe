"""Meal planning, routes and ETAs, rosters, screening and check-ins through the service layer."""
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from logistics.errors import InvalidTransition, PermissionDenied, ValidationFailed
from logistics.models import (
    AuditEntry, CheckinKind, Delivery, DeliveryKind, DeliveryStatus, HealthCheckin, MealRound, MedicStation, Person,
    PersonRole, RiskTier, RosterShift,
)
from logistics.queries.alerts import collect_alerts
from logistics.queries.coverage import tps_covered_by
from logistics.services.deliveries import advance_delivery
from logistics.services.unit_of_work import UnitOfWork
from logistics.services.meal_plans import plan_meals, update_meal_delivery
from logistics.services.rosters import add_shift, remove_shift
from logistics.services.screening import complete_checkin, record_screening
from logistics.timeutil import local_at, to_local
from tests.factories import tps_not_covered_by

DAY = date(2025, 8, 27)


def meals(session, **where):
    query = select(Delivery).where(Delivery.kind == DeliveryKind.MEAL)
    for name, value in where.items():
        query = query.where(getattr(Delivery, name) == value)
    return session.scalars(query).all()


def test_plan_meals_adds_the_snack_and_is_idempotent(session, actor_for):
    koordinator = actor_for("koordinator")
    result = plan_meals(session, koordinator, DAY)
    assert (result.created, result.updated) == (319, 0)  # the snack round; the other three exist
    snacks = meals(session, meal_round=MealRound.SNACK)
    assert {to_local(d.planned_at).strftime("%H:%M") for d in snacks} == {"22:00"}
    assert all(d.vendor_id and d.courier_id and d.eta_at and d.route_seq for d in snacks)
    again = plan_meals(session, koordinator, DAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 319 * 4)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "meal_plan.generated")
                           .order_by(AuditEntry.id.desc()).limit(1))
    assert entry.actor_label == "koordinator" and entry.after["rounds"] == ["pagi", "siang", "malam", "snack"]


def test_plan_follows_the_headcount_and_leaves_started_deliveries_alone(session, actor_for):
    petugas = actor_for("petugas")
    lunch, dinner = (meals(session, tps_id=petugas.tps_id, meal_round=r)[0] for r in (MealRound.SIANG, MealRound.MALAM))
    advance_delivery(session, petugas, lunch.id, DeliveryStatus.DELIVERED)
    with UnitOfWork(session) as uow:  # the plan joins it: the new PPS and the plan commit together
        session.add(Person(code="EXTRA-PPS-1", name="PPS di TPS", role=PersonRole.PPS, tps_id=petugas.tps_id))
        session.flush()
        plan_meals(session, actor_for("admin"), DAY, [MealRound.SIANG, MealRound.MALAM])
        uow.commit()
    assert dinner.quantity_planned == 10  # 7 KPPS + 2 Linmas + 1 PPS posted at the TPS
    assert lunch.quantity_planned == 9  # already delivered: never rewritten


def test_kecamatan_coordinator_plans_only_its_own(session, actor_for):
    camat = actor_for("camat-gerunggang")
    with pytest.raises(PermissionDenied):
        plan_meals(session, camat, DAY)
    plan_meals(session, camat, DAY, kecamatan_ids=[camat.kecamatan_id])
    with pytest.raises(PermissionDenied):
        plan_meals(session, actor_for("petugas"), DAY, kecamatan_ids=[camat.kecamatan_id])


def test_route_is_a_tour_with_increasing_etas(session, actor_for):
    kurir = actor_for("kurir")
    stops = sorted(meals(session, courier_id=kurir.person_id, meal_round=MealRound.SIANG), key=lambda d: d.route_seq)
    assert [d.route_seq for d in stops] == list(range(1, len(stops) + 1))
    etas = [d.eta_at for d in stops]
    assert etas == sorted(etas) and len(set(etas)) == len(etas)
    assert etas[0] > local_at(DAY, time(11, 0))  # left the kitchen one hour before noon


def test_delivering_a_stop_recomputes_the_rest_from_there(session, actor_for):
    kurir = actor_for("kurir")
    stops = sorted(meals(session, courier_id=kurir.person_id, meal_round=MealRound.SIANG), key=lambda d: d.route_seq)
    last = stops[-1]
    advance_delivery(session, kurir, last.id, DeliveryStatus.ARRIVED)  # the courier went to the far end first
    assert last.route_seq == 1
    rest = sorted((d for d in stops if d.id != last.id), key=lambda d: d.route_seq)
    assert [d.route_seq for d in rest] == list(range(2, len(stops) + 1))
    assert all(d.eta_at > last.arrived_at for d in rest)


def test_the_plan_itself_puts_no_meal_at_risk(session, actor_for):
    """Released an hour ahead whatever its tour's length, the far end of a long tour was at risk from the
    day's first moment (36 alerts at a drill's 05:03, before anything was due): the plan releases each round
    early enough for its courier's tour, and "at risk" is left to a courier who is behind it."""
    plan_meals(session, actor_for("koordinator"), DAY)  # the late snack too
    planned = meals(session)
    assert planned and all(d.eta_at <= d.planned_at for d in planned)
    start, end = local_at(DAY, time(0)), local_at(DAY + timedelta(days=1), time(0))
    assert not [a for a in collect_alerts(session, local_at(DAY, time(5, 3)), start, end) if a.kind == "meal_at_risk"]


def test_courier_leaving_late_puts_stops_at_risk_before_they_are_late(session, actor_for):
    kurir = actor_for("kurir")
    stops = sorted(meals(session, courier_id=kurir.person_id, meal_round=MealRound.SIANG), key=lambda d: d.route_seq)
    start, end = local_at(DAY, time(0)), local_at(DAY + timedelta(days=1), time(0))

    def at_risk(now):
        return {a.refs["delivery_id"]: a for a in collect_alerts(session, now, start, end) if a.kind == "meal_at_risk"}

    assert not set(at_risk(local_at(DAY, time(10, 55)))) & {d.id for d in stops}  # on plan: leaves 11:00
    left_at = local_at(DAY, time(11, 50))
    advance_delivery(session, kurir, stops[0].id, DeliveryStatus.DISPATCHED, at=left_at)
    flagged = at_risk(local_at(DAY, time(11, 55)))
    late_stops = [d for d in stops if d.eta_at > d.planned_at]
    assert late_stops and {d.id for d in late_stops} <= set(flagged)
    minutes = int((late_stops[-1].eta_at - late_stops[-1].planned_at).total_seconds() // 60)
    assert f"{minutes} menit setelah rencana" in flagged[late_stops[-1].id].message_id
    # Once a meal is late, the lateness alert takes over: no more "at risk" for it.
    assert not set(at_risk(local_at(DAY, time(12, 31)))) & {d.id for d in stops}


def test_plan_edit_rules(session, actor_for):
    petugas, koordinator = actor_for("petugas"), actor_for("koordinator")
    dinner = meals(session, tps_id=petugas.tps_id, meal_round=MealRound.MALAM)[0]
    update_meal_delivery(session, koordinator, dinner.id, quantity=12)
    assert dinner.quantity_planned == 12
    for bad in ({"quantity": 0}, {"courier_id": petugas.person_id}, {"planned_at": dinner.planned_at + timedelta(days=1)}):
        with pytest.raises(ValidationFailed):
            update_meal_delivery(session, koordinator, dinner.id, **bad)
    with pytest.raises(PermissionDenied):
        update_meal_delivery(session, actor_for("camat-gerunggang"), dinner.id, quantity=10)
    advance_delivery(session, petugas, dinner.id, DeliveryStatus.DELIVERED)
    with pytest.raises(InvalidTransition):
        update_meal_delivery(session, koordinator, dinner.id, quantity=10)


def station(session, name_part):
    return session.scalar(select(MedicStation).where(MedicStation.name.contains(name_part)))


def test_unstaffed_station_is_flagged_and_shifts_fix_it(session, actor_for):
    gerunggang = station(session, "Gerunggang")
    at = local_at(DAY, time(10))
    start, end = local_at(DAY, time(0)), local_at(DAY + timedelta(days=1), time(0))

    def unstaffed():
        return [a for a in collect_alerts(session, at, start, end)
                if a.kind == "station_unstaffed" and a.refs["medic_station_id"] == gerunggang.id]

    assert unstaffed() == []
    morning = session.scalar(select(RosterShift).where(RosterShift.medic_station_id == gerunggang.id,
                                                       RosterShift.starts_at <= at, RosterShift.ends_at > at))
    remove_shift(session, actor_for("camat-gerunggang"), morning.id)
    assert len(unstaffed()) == 1
    medic = session.scalar(select(Person).where(Person.medic_station_id == gerunggang.id, Person.role == PersonRole.MEDIC)
                           .order_by(Person.code))
    add_shift(session, actor_for("camat-gerunggang"), gerunggang.id, medic.id, local_at(DAY, time(9)), local_at(DAY, time(11)))
    assert unstaffed() == []


def test_shift_rules(session, actor_for):
    gerunggang = station(session, "Gerunggang")
    camat = actor_for("camat-gerunggang")
    medic = actor_for("medis").person_id
    officer = actor_for("petugas").person_id
    with pytest.raises(ValidationFailed) as caught:
        add_shift(session, camat, gerunggang.id, officer, local_at(DAY, time(9)), local_at(DAY, time(10)))
    assert "person_id" in caught.value.fields
    with pytest.raises(ValidationFailed):  # overlaps the seeded morning shift
        add_shift(session, camat, gerunggang.id, medic, local_at(DAY, time(9)), local_at(DAY, time(10)))
    with pytest.raises(ValidationFailed):
        add_shift(session, camat, gerunggang.id, medic, local_at(DAY, time(10)), local_at(DAY, time(9)))
    with pytest.raises(ValidationFailed):
        add_shift(session, camat, gerunggang.id, medic, local_at(DAY - timedelta(days=3), time(0)), local_at(DAY - timedelta(days=2), time(1)))
    with pytest.raises(PermissionDenied):
        add_shift(session, camat, station(session, "Pangkal Balam").id, medic, local_at(DAY, time(9)), local_at(DAY, time(10)))


def gerunggang_officer(session, medis):
    tps_ids = tps_covered_by(session, medis.medic_station_id)
    return session.scalar(select(Person).where(Person.tps_id.in_(tps_ids), Person.role == PersonRole.KPPS_ANGGOTA)
                          .order_by(Person.code))


def test_screening_sets_the_tier_and_schedules_checkins(session, actor_for):
    medis = actor_for("medis")
    officer = gerunggang_officer(session, medis)
    screening = record_screening(session, medis, officer.id, systolic=165, diastolic=95, blood_sugar=130, age=44,
                                 conditions=["diabetes"], election_day=DAY)
    assert screening.risk_tier == RiskTier.TINGGI
    assert any("165/95" in reason for reason in screening.risk_reasons)
    due = session.scalars(select(HealthCheckin).where(HealthCheckin.person_id == officer.id)
                          .order_by(HealthCheckin.due_at)).all()
    assert [c.kind for c in due].count(CheckinKind.ELECTION_DAY) == 5
    assert [c.kind for c in due].count(CheckinKind.FOLLOW_UP) == 7
    complete_checkin(session, medis, due[0].id, "baik", "Tensi 150/90, sudah minum obat")
    with pytest.raises(InvalidTransition):
        complete_checkin(session, medis, due[0].id, "baik")
    # A new, better screening keeps what was done and replaces what was still open.
    record_screening(session, medis, officer.id, systolic=120, diastolic=80, blood_sugar=100, age=44, election_day=DAY)
    left = session.scalars(select(HealthCheckin).where(HealthCheckin.person_id == officer.id)).all()
    assert sum(c.done_at is not None for c in left) == 1 and len(left) == 1 + 1  # done one + rendah's D+1


@pytest.mark.parametrize("values, field", [
    ({"systolic": 400}, "systolic"), ({"diastolic": "80"}, "diastolic"), ({"age": 12}, "age"),
    ({"blood_sugar": 5}, "blood_sugar"), ({"conditions": ["flu"]}, "conditions"),
])
def test_screening_validation(session, actor_for, values, field):
    medis = actor_for("medis")
    officer = gerunggang_officer(session, medis)
    args = dict(systolic=120, diastolic=80, blood_sugar=100, age=40, conditions=[], election_day=DAY) | values
    with pytest.raises(ValidationFailed) as caught:
        record_screening(session, medis, officer.id, **args)
    assert field in caught.value.fields


def test_medics_screen_only_officers_their_station_covers(session, actor_for):
    medis = actor_for("medis")
    outside = session.scalar(select(Person).where(
        Person.tps_id == tps_not_covered_by(session, medis.medic_station_id).id))
    with pytest.raises(PermissionDenied):
        record_screening(session, medis, outside.id, systolic=120, diastolic=80, blood_sugar=None, age=40, election_day=DAY)
    with pytest.raises(PermissionDenied):
        checkin = session.scalar(select(HealthCheckin).where(HealthCheckin.person_id == outside.id).limit(1))
        complete_checkin(session, medis, checkin.id, "baik")
