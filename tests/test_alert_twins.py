"""Each alert source's SQL twin agrees with its Python rule on the same data (both databases), the counts
per kecamatan agree with the alerts, and every time-based alert is judged on the election day's clock."""
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import delete, select, update

from logistics.models import AuditEntry, Delivery, DeliveryKind, Kelurahan, MedicStation, RosterShift, Tps, TpsStatus
from logistics.queries.alerts import alert_counts, collect_alerts
from logistics.queries.alert_sources.fatigue import first_posts
from logistics.rules.fatigue import FatigueLevel, fatigue_level, hours_on_duty
from logistics.rules.lifecycles.delivery import is_at_risk, is_late
from logistics.rules.quorum import below_quorum
from logistics.rules.roster import coverage_gaps, opening_window
from logistics.services.tps_status import report_officers_present
from logistics.settings import settings_for
from logistics.timeutil import local_at, local_day
from logistics.queries.election_clock import on_election_day

DAY = date(2025, 8, 27)
START, END = local_day(DAY)
MOMENTS = [local_at(DAY, time(h, m)) for h, m in ((6, 0), (6, 31), (7, 31), (12, 10), (13, 0), (19, 45), (23, 59))]


def of_kind(alerts, kind, key):
    return {key(a) for a in alerts if a.kind == kind}


def meals(session):
    return session.execute(select(Delivery).where(Delivery.kind == DeliveryKind.MEAL,
                                                  Delivery.planned_at >= START, Delivery.planned_at < END)).scalars().all()


def scatter_meals(session):
    """Some delivered, some arrived, some with an ETA after the plan: every state the rules look at."""
    rows = meals(session)
    for i, d in enumerate(rows[:40]):
        if i % 4 == 0:
            session.execute(update(Delivery).where(Delivery.id == d.id).values(eta_at=d.planned_at + timedelta(minutes=20)))
        elif i % 4 == 1:
            session.execute(update(Delivery).where(Delivery.id == d.id).values(
                status="dispatched", dispatched_at=d.planned_at - timedelta(minutes=30),
                eta_at=d.planned_at + timedelta(minutes=5)))
        elif i % 4 == 2:
            session.execute(update(Delivery).where(Delivery.id == d.id).values(
                status="delivered", dispatched_at=d.planned_at - timedelta(minutes=30), delivered_at=d.planned_at,
                quantity_received=1, received_by="x"))
    session.flush()
    session.expire_all()


@pytest.mark.parametrize("moment", MOMENTS)
def test_meal_late_and_at_risk_twins_agree_with_the_rules(session, moment):
    scatter_meals(session)
    grace = settings_for(session).meal_late
    alerts = collect_alerts(session, moment, START, END)
    rows = meals(session)
    assert of_kind(alerts, "meal_late", lambda a: a.refs["delivery_id"]) == {
        d.id for d in rows if is_late(d.status, d.planned_at, moment, grace)}
    assert of_kind(alerts, "meal_at_risk", lambda a: a.refs["delivery_id"]) == {
        d.id for d in rows if d.planned_at >= moment - grace and is_at_risk(d.status, d.planned_at, d.eta_at)}


def test_below_quorum_twin_agrees_with_the_rule(session, actor_for):
    petugas = actor_for("petugas")
    report_officers_present(session, petugas, petugas.tps_id, 2)
    session.execute(update(Tps).where(Tps.id % 5 == 0).values(officers_present=Tps.id % 8))
    session.flush()
    quorum = settings_for(session).quorum
    alerts = collect_alerts(session, MOMENTS[3], START, END)
    assert of_kind(alerts, "below_quorum", lambda a: a.tps_id) == {
        t.id for t in session.scalars(select(Tps)) if below_quorum(t.officers_present, quorum)
        and t.status != TpsStatus.HANDED_OVER}


@pytest.mark.parametrize("hours", [15.9, 16, 17, 19.99, 20, 25])
def test_fatigue_twin_agrees_with_the_rule(session, actor_for, hours):
    petugas = actor_for("petugas")
    report_officers_present(session, petugas, petugas.tps_id, 7)
    first_at = session.scalar(select(AuditEntry.at).order_by(AuditEntry.id.desc()).limit(1))
    # a second TPS handed over 18 hours after its (back-dated) first post
    other = session.scalar(select(Tps.id).where(Tps.id != petugas.tps_id).limit(1))
    session.execute(update(Tps).where(Tps.id == petugas.tps_id).values(
        status="handed_over", opened_at=first_at, voting_closed_at=first_at, counted_at=first_at,
        handed_over_at=first_at + timedelta(hours=18)))
    session.flush()
    start, end = first_at - timedelta(hours=2), first_at + timedelta(hours=30)
    now = first_at + timedelta(hours=hours)
    settings = settings_for(session)
    expected = {}
    for tps_id, first in first_posts(session, start, now).items():
        handed = session.get(Tps, tps_id).handed_over_at
        level = fatigue_level(hours_on_duty(first, now, handed), settings.fatigue_alert, settings.fatigue_escalate)
        if level != FatigueLevel.OK:
            expected[tps_id] = f"fatigue_{level.value}"
    got = {a.tps_id: a.kind for a in collect_alerts(session, now, start, end) if a.kind.startswith("fatigue")}
    assert got == expected and other not in got


@pytest.mark.parametrize("hour", [5, 6, 9, 13, 16, 21])
def test_roster_gap_twin_agrees_with_the_rule(session, hour):
    stations = session.scalars(select(MedicStation)).all()
    # open holes in the roster: drop one shift of every other station
    for station in stations[::2]:
        shift = session.scalar(select(RosterShift.id).where(RosterShift.medic_station_id == station.id)
                               .order_by(RosterShift.starts_at).offset(1).limit(1))
        if shift:
            session.execute(delete(RosterShift).where(RosterShift.id == shift))
    session.flush()
    now = local_at(DAY, time(hour, 15))
    expected = {}
    for station in stations:
        window = opening_window(DAY, station.hours_from, station.hours_to)
        if not window[0] <= now < window[1]:
            continue
        shifts = session.execute(select(RosterShift.starts_at, RosterShift.ends_at)
                                 .where(RosterShift.medic_station_id == station.id)).all()
        gap = next((g for g in coverage_gaps(window, shifts) if g[0] <= now < g[1]), None)
        if gap:
            expected[station.id] = gap[0]
    got = {a.refs["medic_station_id"]: a.since for a in collect_alerts(session, now, START, END)
           if a.kind == "station_unstaffed"}
    assert got == expected


@pytest.mark.parametrize("moment", MOMENTS[1:])
def test_counts_per_kecamatan_agree_with_the_alerts(session, moment):
    scatter_meals(session)
    session.execute(update(Tps).where(Tps.id % 3 == 0).values(officers_present=2))
    session.flush()
    alerts = collect_alerts(session, moment, START, END)
    listed = Counter((a.kind, a.severity, a.kecamatan_id) for a in alerts)
    earliest = {}
    for a in alerts:
        key = (a.kind, a.severity, a.kecamatan_id)
        earliest[key] = min(earliest.get(key, a.since), a.since)
    counts = alert_counts(session, moment, START, END)
    assert {(c.kind, c.severity, c.kecamatan_id): c.n for c in counts} == dict(listed)
    assert {(c.kind, c.severity, c.kecamatan_id): c.since for c in counts} == earliest
    kec = session.scalar(select(Kelurahan.kecamatan_id).limit(1))
    assert {(c.kind, c.kecamatan_id) for c in alert_counts(session, moment, START, END, [kec])} == \
        {(k, kc) for k, _, kc in listed if kc == kec}


def test_the_election_day_clock():
    before, during, after = (datetime(2025, 8, 25, tzinfo=timezone.utc), local_at(DAY, time(14)),
                             datetime(2026, 11, 23, tzinfo=timezone.utc))
    assert on_election_day(before, START, END) == START
    assert on_election_day(during, START, END) == during
    assert START < on_election_day(after, START, END) < END


def test_dashboard_and_api_judge_alerts_on_the_frozen_election_clock(app, client, session, actor_for):
    from logistics.models import User
    from siaga.auth import new_session_values

    app.config["ELECTION_CLOCK"] = "2025-08-27T07:29:00+07:00"
    try:
        with client.session_transaction() as s:
            s.update(new_session_values(session.scalar(select(User).where(User.username == "koordinator"))))
        html = client.get("/dashboard").get_data(as_text=True)
        assert 'data-kind="tps_not_open"' not in html  # 07:29: not yet due
        app.config["ELECTION_CLOCK"] = "2025-08-27T07:31:00+07:00"
        html = client.get("/dashboard").get_data(as_text=True)
        assert 'data-kind="tps_not_open"' in html
    finally:
        app.config["ELECTION_CLOCK"] = ""
