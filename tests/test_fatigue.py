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
                if a.tps_id == petugas.tps_id and a.kind.startswith("fatigue")]  # other sources alert too

    assert kinds(15.9) == []
    assert kinds(16) == ["fatigue_alert"]
    assert kinds(20) == ["fatigue_escalation"]
    alert = collect_alerts(session, first + timedelta(hours=20), start, end)[0]
    assert "20 jam" in alert.message_id and alert.severity == "critical"


def test_handover_ends_the_count(session, actor_for):
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.HANDED_OVER)
    now = utcnow()
    alerts = collect_alerts(session, now + timedelta(hours=21), now - timedelta(hours=1), now + timedelta(hours=30))
    assert [a for a in alerts if a.kind.startswith("fatigue")] == []
