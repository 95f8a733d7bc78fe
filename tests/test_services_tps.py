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


def test_a_post_writes_the_row_and_the_returned_record_alike(session, actor_for):
    """The count and the steps are written with one UPDATE (services.common.change), not the unit of work:
    the row, the record the service returns and the map's data version must all say the same."""
    from logistics.queries.data_versions import versions

    def tps_version() -> int:
        return int(versions(session, "tps").split(":")[1])

    from logistics.services.unit_of_work import UnitOfWork

    petugas = actor_for("petugas")
    version, was_updated = tps_version(), session.get(Tps, petugas.tps_id).updated_at
    with UnitOfWork(session) as uow:  # as in an idempotent request: flushed, committed by the caller...
        tps = report_officers_present(session, petugas, petugas.tps_id, 6)
        # ...so nothing was expired: the record itself must carry what was written (the API answers with it)
        assert tps.officers_present == 6 and tps.officers_reported_at is not None
        assert tps.updated_at >= was_updated and not session.is_modified(tps)
        uow.commit()
    tps = advance_tps_status(session, petugas, petugas.tps_id, S.OPEN)
    assert tps.status == S.OPEN and tps.opened_at is not None
    session.expire_all()  # read the row itself
    row = session.get(Tps, petugas.tps_id)
    assert (row.officers_present, row.status, row.opened_at) == (6, S.OPEN, tps.opened_at)
    assert row.updated_at == tps.updated_at
    assert tps_version() == version + 2  # one bump per commit, as for a flushed change
