"""The coordinators' alert sources: each fires exactly when its rule says, within scope, most urgent first."""
from datetime import date, time, timedelta

from sqlalchemy import select

from logistics.models import DeliveryStatus, HealthIncident, IncidentStatus, Kecamatan, MealRound, Tps, TpsStatus
from logistics.queries.alerts import collect_alerts
from logistics.rules.meal_state import MealRow, MealState, meal_state
from logistics.services.deliveries import advance_delivery
from logistics.services.incidents import advance_incident, report_incident
from logistics.services.tps_status import advance_tps_status, report_officers_present
from logistics.timeutil import local_at, local_day, utcnow
from tests.factories import meal, save

DAY = date(2025, 8, 27)
START, END = local_day(DAY)


def kinds(alerts, kind, tps_id=None):
    return [a for a in alerts if a.kind == kind and (tps_id is None or a.tps_id == tps_id)]


def test_tps_not_open_only_after_0730(session, actor_for):
    petugas = actor_for("petugas")
    before = collect_alerts(session, local_at(DAY, time(7, 29)), START, END)
    assert not kinds(before, "tps_not_open")
    after = collect_alerts(session, local_at(DAY, time(7, 31)), START, END)
    assert len(kinds(after, "tps_not_open")) == session.query(Tps).count()
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    after = collect_alerts(session, local_at(DAY, time(7, 31)), START, END)
    assert not kinds(after, "tps_not_open", petugas.tps_id)
    assert len(kinds(after, "tps_not_open")) == session.query(Tps).count() - 1


def test_meal_late_after_30_minutes_until_delivered(session, actor_for):
    petugas = actor_for("petugas")
    breakfast = meal(session, petugas.tps_id, MealRound.PAGI)
    assert not kinds(collect_alerts(session, local_at(DAY, time(6, 30)), START, END), "meal_late", petugas.tps_id)
    late = kinds(collect_alerts(session, local_at(DAY, time(6, 31)), START, END), "meal_late", petugas.tps_id)
    assert [a.refs["delivery_id"] for a in late] == [breakfast.id]
    advance_delivery(session, petugas, breakfast.id, DeliveryStatus.DELIVERED)
    assert not kinds(collect_alerts(session, local_at(DAY, time(6, 31)), START, END), "meal_late", petugas.tps_id)


def test_merah_without_response_after_10_minutes(session, actor_for):
    petugas, medis = actor_for("petugas"), actor_for("medis")
    incident = report_incident(session, petugas, patient_kind="officer", complaint="pingsan", triage="merah",
                               tps_id=petugas.tps_id)
    reported = incident.reported_at
    alerts = collect_alerts(session, reported + timedelta(minutes=9), START, END)
    assert not [a for a in kinds(alerts, "merah_no_response") if a.refs["incident_id"] == incident.id]
    alerts = collect_alerts(session, reported + timedelta(minutes=11), START, END)
    mine = [a for a in kinds(alerts, "merah_no_response") if a.refs["incident_id"] == incident.id]
    assert len(mine) == 1 and mine[0].severity == "critical" and alerts[0].severity == "critical"
    # Once someone responds, the alert is gone (the medic of the incident's station, or a coordinator).
    incident = session.get(HealthIncident, incident.id)
    actor = medis if incident.medic_station_id == medis.medic_station_id else actor_for("koordinator")
    advance_incident(session, actor, incident.id, IncidentStatus.RESPONDING)
    alerts = collect_alerts(session, reported + timedelta(minutes=11), START, END)
    assert not [a for a in kinds(alerts, "merah_no_response") if a.refs["incident_id"] == incident.id]


def test_below_quorum_and_scope(session, actor_for):
    petugas = actor_for("petugas")  # Bukit Intan
    report_officers_present(session, petugas, petugas.tps_id, 3)
    now = utcnow()
    assert len(kinds(collect_alerts(session, now, START, END), "below_quorum", petugas.tps_id)) == 1
    gerunggang = session.scalar(select(Kecamatan.id).where(Kecamatan.nama == "Gerunggang"))
    assert not kinds(collect_alerts(session, now, START, END, [gerunggang]), "below_quorum")
    report_officers_present(session, petugas, petugas.tps_id, 4)
    assert not kinds(collect_alerts(session, now, START, END), "below_quorum", petugas.tps_id)


def test_alerts_are_sorted_most_urgent_first(session, actor_for):
    petugas = actor_for("petugas")
    report_officers_present(session, petugas, petugas.tps_id, 2)
    report_incident(session, petugas, patient_kind="officer", complaint="sesak", triage="merah", tps_id=petugas.tps_id)
    alerts = collect_alerts(session, utcnow() + timedelta(minutes=15), START, END)
    ranks = [{"critical": 0, "high": 1, "medium": 2, "low": 3}[a.severity] for a in alerts]
    assert ranks == sorted(ranks) and ranks[0] == 0


def test_meal_state_rule():
    planned = local_at(DAY, time(12, 0))
    row = dict(planned_at=planned, status=DeliveryStatus.DISPATCHED, quantity_planned=7, quantity_received=None)
    assert meal_state([], planned) == MealState.PENDING
    assert meal_state([MealRow(**row)], planned + timedelta(minutes=10)) == MealState.PENDING
    assert meal_state([MealRow(**row)], planned + timedelta(minutes=31)) == MealState.LATE
    received = {**row, "status": DeliveryStatus.DELIVERED, "quantity_received": 7}
    assert meal_state([MealRow(**received)], planned + timedelta(hours=3)) == MealState.ARRIVED
    # The courier's "sampai", not confirmed yet, is there: not late (the dashboard's rule).
    assert meal_state([MealRow(**{**row, "status": DeliveryStatus.ARRIVED})], planned + timedelta(hours=3)) \
        == MealState.ARRIVED
    assert meal_state([MealRow(**{**received, "quantity_received": 5})], planned) == MealState.SHORT
    assert meal_state([MealRow(**{**row, "status": DeliveryStatus.FAILED})], planned + timedelta(hours=1)) \
        == MealState.SHORT


def test_city_view_counts_alerts_per_kecamatan_in_sql(session):
    from logistics.queries.alerts import alert_counts, area_alerts

    alerts = collect_alerts(session, local_at(DAY, time(7, 31)), START, END)
    counts = [c for c in alert_counts(session, local_at(DAY, time(7, 31)), START, END) if c.kind == "tps_not_open"]
    assert len(counts) == 7  # one per kecamatan instead of 319
    assert sum(c.n for c in counts) == session.query(Tps).count() == len(kinds(alerts, "tps_not_open"))
    names = dict(session.execute(select(Kecamatan.nama, Kecamatan.id)).all())
    assert next(c for c in counts if c.kecamatan_id == names["Bukit Intan"]).n == 64
    worst = area_alerts(counts, {k: k for k in names.values()})
    assert worst[0]["area_id"] == names["Bukit Intan"] and worst[0]["by_severity"]["high"] == 64
    first = collect_alerts(session, local_at(DAY, time(7, 31)), START, END, limit=3)
    assert len(kinds(first, "tps_not_open")) == 3  # a national view never loads them all


def test_limited_examples_break_ties_by_record_id(session):
    """Every TPS of the zone has the same `since` (the opening deadline): which few a wider view shows as
    examples is decided by the TPS id, not by where the rows lie in the table (PostgreSQL returns a row
    updated last at the end of a scan, so without the tie-break the lowest ids drop out)."""
    ids = sorted(session.scalars(select(Tps.id)))
    for tps in session.scalars(select(Tps).where(Tps.id.in_(ids[:3]))):
        tps.address = (tps.address or "") + " (diperbarui)"  # rewritten: last in PostgreSQL's heap
    save(session)
    now = local_at(DAY, time(7, 31))
    first = kinds(collect_alerts(session, now, START, END, limit=3), "tps_not_open")
    assert [a.tps_id for a in first] == ids[:3]
    assert [a.tps_id for a in kinds(collect_alerts(session, now, START, END), "tps_not_open")] == ids
