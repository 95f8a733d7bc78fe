"""Fatigue: hours counted from a TPS's first post, alert at 16 h, escalation at 20 h."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from logistics.models import AuditEntry, TpsStatus
from logistics.queries.alerts import collect_alerts
from logistics.rules.fatigue import FatigueLevel, fatigue_level, hours_on_duty
from logistics.services.tps_status import advance_tps_status, report_officers_present
from logistics.timeutil import utcnow

T0 = datetime(2025, 8, 27, 0, 0, tzinfo=timezone.utc)  # 07:00 WIB


@pytest.mark.parametrize("hours, level", [(0, FatigueLevel.OK), (15.99, FatigueLevel.OK), (16, FatigueLevel.ALERT),
                                          (19.99, FatigueLevel.ALERT), (20, FatigueLevel.ESCALATION), (30, FatigueLevel.ESCALATION)])
def test_levels_at_the_thresholds(hours, level):
    assert fatigue_level(hours_on_duty(T0, T0 + timedelta(hours=hours))) == level


def test_counting_stops_when_the_team_goes_off_duty_and_needs_a_first_post():
    assert hours_on_duty(T0, T0 + timedelta(hours=22), off_duty_at=T0 + timedelta(hours=15)) == timedelta(hours=15)
    assert hours_on_duty(None, T0) == timedelta(0)
    assert hours_on_duty(T0 + timedelta(hours=1), T0) == timedelta(0)


def test_alert_appears_at_the_right_hour(session, actor_for):
    petugas = actor_for("petugas")
    report_officers_present(session, petugas, petugas.tps_id, 7)
    first = session.scalar(select(AuditEntry.at).order_by(AuditEntry.id.desc()).limit(1))
    start, end = first - timedelta(hours=2), first + timedelta(hours=30)

    def kinds(hours):
        return [a.kind for a in collect_alerts(session, first + timedelta(hours=hours), start, end)
                if a.tps_id == petugas.tps_id and a.kind.startswith("fatigue")]

    assert kinds(15.9) == []
    assert kinds(16) == ["fatigue_alert"]
    assert kinds(20) == ["fatigue_escalation"]
    alert = next(a for a in collect_alerts(session, first + timedelta(hours=20), start, end) if a.kind.startswith("fatigue"))
    assert "20 jam" in alert.message_id and alert.severity == "critical"


def test_handover_ends_the_count(session, actor_for):
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.HANDED_OVER)
    now = utcnow()
    alerts = collect_alerts(session, now + timedelta(hours=21), now - timedelta(hours=1), now + timedelta(hours=30))
    assert [a for a in alerts if a.kind.startswith("fatigue")] == []


# --- during a drill ---------------------------------------------------------------------------------------
# The audit trail keeps when a post was received on the wall clock; a drill's day is judged on its simulated
# clock (logistics/queries/election_clock.py). A trainee's post (or an SMS TPS's, in the demo) received now
# is at the drill's simulated "now", whatever the real time of day the drill plays at.

SPEED = 60.0


def _drill_reading_now(session, petugas, simulated: timedelta):
    """A drill of today at 60x over the kecamatan of `petugas`'s TPS, whose clock reads `simulated` (from 00:00
    of its day) at the real moment it is started."""
    from logistics.drill.runner import start_drill
    from logistics.models import Kelurahan, Tps
    from logistics.models.drill import DAY_START
    from logistics.timeutil import to_local

    kecamatan = session.scalar(select(Kelurahan.kecamatan_id).join(Tps, Tps.kelurahan_id == Kelurahan.id)
                               .where(Tps.id == petugas.tps_id))
    started = utcnow() - (simulated - DAY_START) / SPEED
    return start_drill(session, to_local(started).date(), speed=SPEED, kecamatan_ids=[kecamatan],
                       clock=lambda: started)


def _fatigue_on_drill_clock(session, drill, simulated: timedelta, tps_id: int):
    """The TPS's fatigue alerts judged when the drill's clock reads `simulated`, as the product judges them
    (the election clock at that wall-clock moment)."""
    from logistics.queries.election_clock import election_clock
    from logistics.queries.zones import day_window

    start, end = day_window(session, drill.day)
    now = election_clock(session, drill.day, drill.wall_time(simulated))
    assert now == start + simulated  # (the drill's clock)
    return [a for a in collect_alerts(session, now, start, end) if a.kind.startswith("fatigue") and a.tps_id == tps_id]


def test_in_a_drill_hours_on_duty_are_counted_on_the_drills_clock(session, actor_for):
    """A first post at the drill's 06:00 is 16 hours on duty at its 22:00 (not at the real clock's 16 hours
    after the post, nor hours counted from a real time against a simulated one)."""
    from logistics.queries.zones import day_window

    petugas = actor_for("petugas")
    drill = _drill_reading_now(session, petugas, timedelta(hours=6))
    report_officers_present(session, petugas, petugas.tps_id, 7)  # received now: the drill's 06:00
    assert _fatigue_on_drill_clock(session, drill, timedelta(hours=21, minutes=58), petugas.tps_id) == []
    [alert] = _fatigue_on_drill_clock(session, drill, timedelta(hours=22, minutes=2), petugas.tps_id)
    assert alert.kind == "fatigue_alert" and "sudah 16 jam bertugas" in alert.message_id
    six = day_window(session, drill.day)[0] + timedelta(hours=6)
    assert six <= alert.since < six + timedelta(minutes=2)  # the post's moment on the drill's clock
    [alert] = _fatigue_on_drill_clock(session, drill, timedelta(hours=23, minutes=30), petugas.tps_id)
    assert "sudah 17 jam bertugas" in alert.message_id


def test_a_drill_started_again_counts_only_its_own_posts(session, actor_for):
    """Wiped and started again the same day (the demo does at each start): the first drill's posts stay in
    the audit trail (append-only), but its officers' hours are no part of the new drill's day."""
    from logistics.drill.runner import wipe_drill

    petugas = actor_for("petugas")
    _drill_reading_now(session, petugas, timedelta(hours=6))
    report_officers_present(session, petugas, petugas.tps_id, 7)  # the first drill's post
    wipe_drill(session)
    again = _drill_reading_now(session, petugas, timedelta(hours=5))  # its 05:00 is now
    assert _fatigue_on_drill_clock(session, again, timedelta(hours=23, minutes=30), petugas.tps_id) == []
    report_officers_present(session, petugas, petugas.tps_id, 7)  # its own first post, at its 05:00
    [alert] = _fatigue_on_drill_clock(session, again, timedelta(hours=23, minutes=30), petugas.tps_id)
    assert "sudah 18 jam bertugas" in alert.message_id
