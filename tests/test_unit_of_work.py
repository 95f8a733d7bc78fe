"""Every kind of writer goes through the unit of work, and so bumps the data versions the pages' ETags are
made of (logistics/services/unit_of_work.py): a form post, the API, a CLI command, an importer, the seeder,
the drill and the worker's jobs. A write outside one fails loudly; a rolled-back one bumps nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from logistics.actor import Actor
from logistics.imports.tps_file import import_tps
from logistics.models import DataVersion, Kecamatan, MedicStation, Tps, User
from logistics.queries.data_versions import versions
from logistics.services.common import commit
from logistics.services.data_versions import scoped, touch
from logistics.services.meal_plans import plan_meals
from logistics.services.unit_of_work import OutsideUnitOfWork, UnitOfWork
from logistics.timeutil import to_local, utcnow
from tests.api.conftest import bearer  # noqa: F401  (the fixture)
from tests.factories import save
from tests.field_client import log_in_as, post_form

REPORT = {"patient_kind": "officer", "complaint": "pingsan", "triage": "merah"}


def station_of(session, username: str) -> int:
    tps_id = session.scalar(select(User.tps_id).where(User.username == username))
    from logistics.queries.coverage import covering_station

    return covering_station(session, session.get(Tps, tps_id))


def test_a_form_post_moves_the_receiving_stations_page(client, session):
    names = ("health_incident", scoped("health_incident", "s", station_of(session, "petugas")))
    before = versions(session, *names)
    log_in_as(client, session, "petugas")
    assert post_form(client, "/lapangan/kejadian", REPORT, key="uow-form-0001", json=True).status_code == 200
    assert versions(session, *names) != before


def test_an_api_post_moves_it_too(client, session, bearer):  # noqa: F811
    tps_id = session.scalar(select(User.tps_id).where(User.username == "petugas"))
    names = ("health_incident", scoped("health_incident", "s", station_of(session, "petugas")))
    before = versions(session, *names)
    response = client.post("/api/v1/incidents", json={**REPORT, "tps_id": tps_id},
                           headers=bearer(["write:incidents"], agency="TNI-Polri"))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert versions(session, *names) != before


def test_a_cli_command_moves_it(app, session):
    kecamatan = session.scalar(select(Kecamatan).where(Kecamatan.nama == "Gerunggang"))
    day = to_local(utcnow()).date() + timedelta(days=3)  # a day the seed planned nothing for
    before = versions(session, "delivery")
    result = app.test_cli_runner().invoke(args=["plan-meals", "--date", day.isoformat(),
                                                "--kecamatan", kecamatan.kode_kemendagri])
    assert result.exit_code == 0, result.output
    assert versions(session, "delivery") != before


def test_an_importer_moves_it(session, actor_for, tmp_path):
    path = tmp_path / "tps.csv"
    path.write_text("kode_kelurahan,no_tps,alamat,lat,lon,dpt,jenis,lokasi_khusus\n"
                    "19.71.05.1002,1,Jl. Versi 1,-2.111704,106.088938,444,reguler,\n", encoding="utf-8")
    tps = session.scalar(select(Tps).where(Tps.code == "19.71.05.1002-001"))
    names = ("tps", scoped("tps", "t", tps.id))
    before = versions(session, *names)
    assert import_tps(session, actor_for("admin"), path).updated == 1
    assert versions(session, *names) != before


def test_the_seeder_bumped_what_it_stored(session):
    """The suite's database was seeded once (tests/conftest.py) and every test rolls back: what the versions
    hold beyond zero is the seeder's."""
    stored = dict(session.execute(select(DataVersion.name, func.sum(DataVersion.version))
                                  .group_by(DataVersion.name)).all())
    for table in ("kota", "kecamatan", "kelurahan", "tps", "medic_station", "tps_coverage", "delivery", "person"):
        assert stored.get(table, 0) > 0, table


def test_the_drill_and_the_worker_job_that_plays_it_move_it(app, session):
    from logistics.drill.runner import start_drill, wipe_drill
    from siaga.worker import JOBS, jobs, run_job  # noqa: F401  (registers the jobs)

    day = to_local(utcnow()).date()
    kecamatan = session.scalar(select(Kecamatan).where(Kecamatan.nama == "Gerunggang"))
    plan_meals(session, Actor.system("test"), day, kecamatan_ids=[kecamatan.id])
    before = versions(session, "tps", "health_incident")
    start_drill(session, day, seed=3, speed=1e9, kecamatan_ids=[kecamatan.id], tps_limit=2)  # claims its TPS
    claimed = versions(session, "tps", "health_incident")
    assert claimed.split("|")[0] != before.split("|")[0]
    assert run_job(app, next(j for j in JOBS if j.name == "play_drill")) > 0  # the worker plays the day
    played = versions(session, "tps", "health_incident")
    assert played.split("|")[1] != claimed.split("|")[1]
    wipe_drill(session)
    assert versions(session, "tps", "health_incident") != played


def test_a_write_outside_a_unit_of_work_fails_loudly(session):
    station = session.scalar(select(MedicStation).order_by(MedicStation.id).limit(1))
    station.lat += 0.001
    with pytest.raises(OutsideUnitOfWork):
        session.commit()  # a bare commit: no data versions, no coverage
    session.rollback()
    with pytest.raises(OutsideUnitOfWork):
        touch(session, "tps")
    with pytest.raises(OutsideUnitOfWork):
        commit(session)  # a service's commit with no unit of work open (a service without @in_unit_of_work)


def test_a_rolled_back_unit_of_work_bumps_nothing_and_a_committed_one_does(session):
    tps = session.scalar(select(Tps).order_by(Tps.id).limit(1))
    names = ("tps", scoped("tps", "t", tps.id))
    before = versions(session, *names)
    with UnitOfWork(session):
        tps.address = "Jl. Tidak Jadi"
        session.flush()
    assert versions(session, *names) == before
    tps = session.get(Tps, tps.id)
    tps.address = "Jl. Jadi"
    save(session)
    assert versions(session, *names) != before


# The audit entries are held by the unit of work and written at its commit (logistics/services/commit_writes.py).

def test_a_commit_around_the_unit_of_work_is_refused_while_it_holds_audit_entries(session, actor_for):
    from logistics.services.tps_status import report_officers_present

    officer = actor_for("petugas")
    with UnitOfWork(session):
        report_officers_present(session, officer, officer.tps_id, 7)  # its commit only flushes here
        with pytest.raises(OutsideUnitOfWork):
            session.commit()  # would end the transaction without the post's audit entry


def test_audit_entries_beyond_the_hold_are_written_ahead_and_all_commit(session, actor_for, monkeypatch):
    from logistics.models import AuditEntry
    from logistics.services import commit_writes
    from logistics.services.tps_status import report_officers_present

    monkeypatch.setattr(commit_writes, "AUDITS_HELD", 2)
    officer = actor_for("petugas")
    first = session.scalar(select(func.max(AuditEntry.id))) or 0
    with UnitOfWork(session) as uow:
        for count in (3, 4, 5):
            report_officers_present(session, officer, officer.tps_id, count)
        uow.commit()
    written = session.execute(select(AuditEntry.action, AuditEntry.after).where(AuditEntry.id > first)
                              .order_by(AuditEntry.id)).all()
    assert [(a, after["officers_present"]) for a, after in written] == [("tps.officers_present", n) for n in (3, 4, 5)]


def test_an_audit_entry_is_stored_as_before(session, actor_for):
    """Written with the commit's statement, an entry reads back as one written on its own did: JSON null for
    no `before`, the times as aware UTC."""
    from logistics.models import AuditEntry
    from logistics.services.incidents import report_incident

    officer = actor_for("petugas")
    started = utcnow()
    incident = report_incident(session, officer, patient_kind="officer", complaint="pingsan", triage="hijau",
                               tps_id=officer.tps_id)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "health_incident",
                                                    AuditEntry.entity_id == incident.id))
    assert entry.before is None and entry.after["complaint"] == "pingsan" and entry.actor_id == officer.user_id
    assert started <= entry.at <= utcnow() and entry.at.utcoffset() == timedelta(0)
    stored = session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.id == entry.id, AuditEntry.before.is_(None))).scalar()
    assert stored == 0  # JSON null, not SQL NULL (as SQLAlchemy's JSON type stores None)
