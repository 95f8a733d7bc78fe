"""Election settings: defaults from the rules and ELECTION_DATE, an admin's changes stored and audited, and the
alerts, field pages and meal plans reading the one settings object."""
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from logistics.errors import PermissionDenied, ValidationFailed
from logistics.models import AuditEntry, ElectionSetting, MealRound, Tps
from logistics.queries.alerts import collect_alerts
from logistics.services.settings import update_settings
from logistics.services.tps_status import report_officers_present
from logistics.settings import FIELDS, forget, settings_for
from logistics.timeutil import local_at, local_day

DAY = date(2025, 8, 27)
START, END = local_day(DAY)


def kinds(alerts, kind, tps_id=None):
    return [a for a in alerts if a.kind == kind and (tps_id is None or a.tps_id == tps_id)]


def test_defaults_are_the_rules_constants_and_the_environment(session, app):
    settings = settings_for(session)
    assert settings.election_date == date.fromisoformat(app.config["ELECTION_DATE"])
    assert (settings.quorum, settings.meal_late, settings.open_deadline) == (4, timedelta(minutes=30), time(7, 30))
    assert (settings.fatigue_alert, settings.fatigue_escalate) == (timedelta(hours=16), timedelta(hours=20))
    assert settings.merah_response == timedelta(minutes=10) and settings.meal_times[MealRound.SIANG] == time(12, 0)
    assert {f.key for f in FIELDS} >= {"election_date", "quorum", "open_deadline", "meal_siang"}


def test_admin_changes_are_stored_audited_and_read_by_the_alerts(session, actor_for):
    admin, petugas = actor_for("admin"), actor_for("petugas")
    report_officers_present(session, petugas, petugas.tps_id, 4)
    assert not kinds(collect_alerts(session, local_at(DAY, time(7, 50)), START, END), "below_quorum", petugas.tps_id)
    assert len(kinds(collect_alerts(session, local_at(DAY, time(7, 50)), START, END), "tps_not_open")) > 0

    changed = update_settings(session, admin, {"quorum": "5", "open_deadline": "08:00", "meal_late_minutes": "30"})
    assert changed == 2  # the lateness value is the default already
    assert session.scalar(select(ElectionSetting.value).where(ElectionSetting.key == "quorum")) == "5"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "election_setting.changed",
                                                    AuditEntry.after["key"].as_string() == "quorum"))
    assert entry is not None and entry.after["value"] == "5" and entry.before is None

    alerts = collect_alerts(session, local_at(DAY, time(7, 50)), START, END)
    assert kinds(alerts, "below_quorum", petugas.tps_id)  # 4 present is now below the quorum of 5
    assert "kuorum 5" in kinds(alerts, "below_quorum", petugas.tps_id)[0].message_id
    assert not kinds(alerts, "tps_not_open")  # the deadline moved to 08:00
    assert "08.00" in kinds(collect_alerts(session, local_at(DAY, time(8, 1)), START, END), "tps_not_open")[0].message_id

    update_settings(session, admin, {"quorum": "6"})
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "election_setting.changed")
                           .order_by(AuditEntry.id.desc()).limit(1))
    assert (entry.before["value"], entry.after["value"]) == ("5", "6")


def test_the_officer_page_and_the_election_day_follow_the_settings(session, actor_for, client):
    from tests.field_client import log_in_as

    update_settings(session, actor_for("admin"), {"quorum": "6", "election_date": "2026-02-14"})
    petugas = actor_for("petugas")
    report_officers_present(session, petugas, petugas.tps_id, 5)
    log_in_as(client, session, "petugas")
    page = client.get(f"/lapangan/tps/{petugas.tps_id}").get_data(as_text=True)
    assert "hanya 5 petugas hadir, minimal 6" in page
    from siaga.election import election_day
    with client.application.test_request_context():
        assert election_day() == date(2026, 2, 14)


@pytest.mark.parametrize("values, field", [
    ({"quorum": "0"}, "quorum"), ({"quorum": "tujuh"}, "quorum"), ({"open_deadline": "25:00"}, "open_deadline"),
    ({"election_date": "27-08-2025"}, "election_date"), ({"nonsense": "1"}, "nonsense"),
    ({"fatigue_alert_hours": "20", "fatigue_escalate_hours": "16"}, "fatigue_escalate_hours"),
])
def test_bad_values_are_refused_per_field(session, actor_for, values, field):
    with pytest.raises(ValidationFailed) as caught:
        update_settings(session, actor_for("admin"), values)
    assert field in caught.value.fields
    assert session.scalar(select(ElectionSetting).limit(1)) is None


def test_only_admins_change_settings(session, actor_for):
    with pytest.raises(PermissionDenied):
        update_settings(session, actor_for("koordinator"), {"quorum": "5"})


def test_meal_plan_uses_round_times_and_extra_portions(session, actor_for):
    from logistics.models import Delivery
    from logistics.services.meal_plans import headcounts, plan_meals

    admin = actor_for("admin")
    update_settings(session, admin, {"meal_siang": "12:30", "extra_portions": "2"})
    tps = session.scalar(select(Tps).order_by(Tps.code).limit(1))
    day = DAY + timedelta(days=1)  # a day without a plan yet
    plan_meals(session, admin, day, [MealRound.SIANG], [tps.kelurahan.kecamatan_id])
    lunch = session.scalar(select(Delivery).where(Delivery.tps_id == tps.id, Delivery.meal_round == MealRound.SIANG,
                                                  Delivery.planned_at >= local_at(day, time(0, 0))))
    assert lunch.planned_at == local_at(day, time(12, 30))
    assert lunch.quantity_planned == headcounts(session, [tps.id])[tps.id] + 2


def test_a_count_at_the_highest_quorum_reads_no_settings_and_one_below_still_warns(session, actor_for):
    """A quorum is at most all 7 KPPS members (QUORUM_MAX, the setting's limit): a count of at least that
    cannot be below it, so the post skips the settings read (most election-day posts); one under it still
    reads the quorum set by the admin and raises the below-quorum event."""
    from sqlalchemy import event, func

    from logistics.models import OutboxEvent
    from logistics.rules.quorum import QUORUM_MAX

    admin, petugas = actor_for("admin"), actor_for("petugas")
    assert update_settings(session, admin, {"quorum": str(QUORUM_MAX)}) == 1
    with pytest.raises(ValidationFailed):
        update_settings(session, admin, {"quorum": str(QUORUM_MAX + 1)})
    below = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.kind == "tps.below_quorum",
                                                                OutboxEvent.entity_id == petugas.tps_id)
    events_before = session.scalar(below)
    statements: list[str] = []
    connection = session.connection()
    listener = lambda _c, _cur, statement, *_a: statements.append(statement)  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        forget(session)  # no settings kept on the session: a post that needed them would read them
        report_officers_present(session, petugas, petugas.tps_id, QUORUM_MAX)
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    assert not [s for s in statements if "election_setting" in s], statements
    assert session.scalar(below) == events_before
    report_officers_present(session, petugas, petugas.tps_id, QUORUM_MAX - 1)  # below the admin's quorum of 7
    assert session.scalar(below) == events_before + 1
