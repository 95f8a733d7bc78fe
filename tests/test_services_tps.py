"""Election-day TPS posts, and the audit trail they leave."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from logistics.errors import InvalidTransition, PermissionDenied, ValidationFailed
from logistics.models import AuditEntry, Tps, TpsStatus as S
from logistics.services.tps_status import advance_tps_status, report_officers_present
from tests.factories import other_tps


def test_the_day_runs_forward(session, actor_for):
    petugas = actor_for("petugas")
    for step in (S.OPEN, S.VOTING_CLOSED, S.COUNTED, S.HANDED_OVER):
        advance_tps_status(session, petugas, petugas.tps_id, step)
    tps = session.get(Tps, petugas.tps_id)
    assert tps.status == S.HANDED_OVER
    assert tps.opened_at <= tps.voting_closed_at <= tps.counted_at <= tps.handed_over_at


def test_status_cannot_go_back(session, actor_for):
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, S.VOTING_CLOSED)
    for step in (S.OPEN, S.VOTING_CLOSED, S.SETUP):
        with pytest.raises(InvalidTransition):
            advance_tps_status(session, petugas, petugas.tps_id, step)


def test_field_officer_cannot_post_for_another_tps(session, actor_for):
    petugas = actor_for("petugas")
    other = other_tps(session, petugas.tps_id)
    with pytest.raises(PermissionDenied):
        advance_tps_status(session, petugas, other.id, S.OPEN)
    with pytest.raises(PermissionDenied):
        report_officers_present(session, petugas, other.id, 7)
    assert session.get(Tps, other.id).status == S.SETUP


@pytest.mark.parametrize("username", ["kurir", "medis", "mitra"])
def test_other_roles_cannot_post_tps_status(session, actor_for, username):
    with pytest.raises(PermissionDenied):
        advance_tps_status(session, actor_for(username), actor_for("petugas").tps_id, S.OPEN)


@pytest.mark.parametrize("count", [-1, 51, "7", None])
def test_officer_count_is_validated(session, actor_for, count):
    petugas = actor_for("petugas")
    with pytest.raises(ValidationFailed) as caught:
        report_officers_present(session, petugas, petugas.tps_id, count)
    assert "officers_present" in caught.value.fields


def test_audit_trail_records_each_post(session, actor_for):
    petugas = actor_for("petugas")
    report_officers_present(session, petugas, petugas.tps_id, 6)
    advance_tps_status(session, petugas, petugas.tps_id, S.OPEN)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "tps",
                                                       AuditEntry.entity_id == petugas.tps_id)
                              .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["tps.officers_present", "tps.open"]
    assert entries[0].before["officers_present"] is None and entries[0].after["officers_present"] == 6
    assert entries[1].before["status"] == "setup" and entries[1].after["status"] == "open"


@pytest.mark.parametrize("statement", ["UPDATE audit_entry SET actor_label = 'someone else'",
                                       "DELETE FROM audit_entry"])
def test_audit_trail_is_append_only_in_the_database(session, actor_for, statement):
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, S.OPEN)
    with pytest.raises(DBAPIError, match="append-only"):
        with session.begin_nested():
            session.execute(text(statement))
    assert session.scalar(select(AuditEntry.actor_label).order_by(AuditEntry.id.desc()).limit(1)) == "petugas"
