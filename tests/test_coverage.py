"""Coverage as data: tps_coverage holds each TPS's nearest medic station, kept current in the unit of work
when a TPS or a station is added, moved or removed, and read the same by every app instance."""
from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import create_engine, delete, func, select, update
from sqlalchemy.orm import Session

from logistics.models import MedicStation, Person, PersonRole, Tps, TpsCoverage
from logistics.permissions.read_scope import visible
from logistics.queries import coverage
from logistics.rules.geo import haversine_m, nearest, nearest_many
from logistics.services.coverage import recompute_all
from logistics.permissions import Permission, may
from logistics.services.screening import screening_target
from logistics.services.unit_of_work import UnitOfWork
from siaga import create_app
from siaga.extensions import db
from tests.factories import save


def brute_force(session) -> dict[int, tuple[int, float]]:
    stations = [(s.id, s.lat, s.lon) for s in session.scalars(select(MedicStation))]
    return {t.id: nearest(t.lat, t.lon, stations) for t in session.scalars(select(Tps))}


def stored(session) -> dict[int, tuple[int, float]]:
    return {t: (s, d) for t, s, d in session.execute(
        select(TpsCoverage.tps_id, TpsCoverage.medic_station_id, TpsCoverage.distance_m))}


def assert_matches_brute_force(session) -> None:
    expected, have = brute_force(session), stored(session)
    assert have.keys() == expected.keys()
    for tps_id, (station_id, distance) in expected.items():
        assert have[tps_id][0] == station_id, tps_id
        assert have[tps_id][1] == pytest.approx(distance, rel=1e-6, abs=0.01)


def new_station(session, lat: float, lon: float, code: str = "POSKES-TEST") -> MedicStation:
    template = session.scalar(select(MedicStation).order_by(MedicStation.id).limit(1))
    station = MedicStation(code=code, name="Pos uji", kecamatan_id=template.kecamatan_id, lat=lat, lon=lon,
                           hours_from=time(5, 30), hours_to=time(3, 0))
    session.add(station)
    save(session)
    return station


def test_the_seeded_city_has_every_tps_covered_by_its_nearest_station(session):
    assert session.scalar(select(func.count()).select_from(TpsCoverage)) == session.scalar(select(func.count(Tps.id)))
    assert_matches_brute_force(session)


def test_nearest_many_is_the_great_circle_nearest_anywhere_in_indonesia():
    # Aceh to Papua: one metric, no UTM zone. Sabang's nearest is Banda Aceh, Jayapura's is Merauke, not Jakarta.
    sites = [(5.55, 95.32), (-6.2, 106.85), (-8.49, 140.4)]  # Banda Aceh, Jakarta, Merauke
    points = [(5.89, 95.32), (-2.53, 140.72), (-6.9, 107.6)]  # Sabang, Jayapura, Bandung
    index, distance = nearest_many([p[0] for p in points], [p[1] for p in points],
                                   [s[0] for s in sites], [s[1] for s in sites])
    assert index.tolist() == [0, 2, 1]
    for (lat, lon), i, d in zip(points, index, distance):
        assert d == pytest.approx(haversine_m(lat, lon, *sites[i]), rel=1e-9)


def test_a_moved_tps_is_reflected_at_once(session):
    tps = session.scalar(select(Tps).order_by(Tps.id).limit(1))
    before = coverage.covering_station(session, tps)
    far = session.scalar(select(MedicStation).where(MedicStation.id != before).order_by(MedicStation.id.desc()).limit(1))
    tps.lat, tps.lon = far.lat + 0.0005, far.lon
    save(session)
    assert coverage.covering_station(session, tps) == far.id
    assert coverage.nearest(session, [tps.id])[tps.id][1] == pytest.approx(haversine_m(tps.lat, tps.lon, far.lat, far.lon))
    assert_matches_brute_force(session)


def test_a_new_station_takes_the_tps_it_is_nearer_to_and_only_those(session):
    tps = session.scalar(select(Tps).order_by(Tps.id.desc()).limit(1))
    before = stored(session)
    station = new_station(session, tps.lat + 0.0001, tps.lon)
    after = stored(session)
    assert after[tps.id][0] == station.id
    taken = {t for t in after if after[t][0] == station.id}
    assert taken and taken != set(after)  # it took some, not all
    assert {t for t in after if after[t] != before[t]} == taken
    assert_matches_brute_force(session)


def test_a_moved_station_gives_up_its_tps_and_takes_others(session):
    station = session.scalar(select(MedicStation).order_by(MedicStation.id).limit(1))
    had = set(coverage.tps_covered_by(session, station.id))
    other = session.scalar(select(MedicStation).where(MedicStation.id != station.id).order_by(MedicStation.id.desc()).limit(1))
    station.lat, station.lon = other.lat + 0.001, other.lon + 0.001
    save(session)
    now = set(coverage.tps_covered_by(session, station.id))
    assert had and now != had
    assert_matches_brute_force(session)


def test_a_removed_station_hands_its_tps_to_the_next_nearest(session):
    station = new_station(session, -2.13, 106.11)
    covered = set(coverage.tps_covered_by(session, station.id))
    assert covered
    session.delete(station)
    save(session)
    assert not coverage.tps_covered_by(session, station.id)
    assert covered <= set(stored(session))
    assert_matches_brute_force(session)


def test_a_new_tps_gets_its_station(session):
    template = session.scalar(select(Tps).order_by(Tps.id).limit(1))
    tps = Tps(code="TEST-NEW-001", kelurahan_id=template.kelurahan_id, number=990, address="Jl. Uji",
              lat=template.lat + 0.002, lon=template.lon, dpt=100)
    session.add(tps)
    save(session)
    assert coverage.covering_station(session, tps) == brute_force(session)[tps.id][0]


def test_recompute_command_repairs_the_table(app, session):
    first = session.scalar(select(Tps.id).order_by(Tps.id).limit(1))
    wrong = session.scalar(select(MedicStation.id).where(MedicStation.id != coverage.covering_station(
        session, session.get(Tps, first))).limit(1))
    session.execute(update(TpsCoverage).where(TpsCoverage.tps_id == first).values(medic_station_id=wrong))
    session.execute(delete(TpsCoverage).where(TpsCoverage.tps_id != first, TpsCoverage.tps_id % 3 == 0))
    save(session)
    result = app.test_cli_runner().invoke(args=["recompute-coverage"])
    assert result.exit_code == 0, result.output
    assert "tps_coverage" in result.output
    assert_matches_brute_force(session)
    assert recompute_all(session) == 0  # nothing left to change


def test_a_medics_scope_and_care_rights_follow_the_table(session, actor_for):
    medis = actor_for("medis")
    officer = session.scalar(select(Person).where(Person.role == PersonRole.KPPS_KETUA, Person.tps_id.in_(
        coverage.covered_by(medis.medic_station_id))).limit(1))
    assert officer is not None and may(medis, Permission.OFFICER_SCREEN, screening_target(session, medis, officer))
    assert session.scalar(select(Tps.id).where(Tps.id == officer.tps_id, visible(session, medis, Tps)))
    new_station(session, officer.tps.lat, officer.tps.lon + 0.0001)  # now nearer to the officer's TPS
    assert not may(medis, Permission.OFFICER_SCREEN, screening_target(session, medis, officer))
    assert session.scalar(select(Tps.id).where(Tps.id == officer.tps_id, visible(session, medis, Tps))) is None


def test_two_app_instances_read_the_same_answer_from_the_database(app, database_url):
    """Two Flask apps on one database (two gunicorn workers): a committed move is seen by both at once."""
    other = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    engine = create_engine(database_url)

    def answer(flask_app, tps_id):
        with flask_app.app_context():
            try:
                return coverage.covering_station(db.session, db.session.get(Tps, tps_id))
            finally:
                db.session.remove()

    with Session(engine) as writer:
        tps = writer.scalar(select(Tps).order_by(Tps.id).limit(1))
        home = (tps.lat, tps.lon)
        far = writer.scalar(select(MedicStation).where(MedicStation.id != coverage.covering_station(writer, tps))
                            .order_by(MedicStation.id.desc()).limit(1))
        assert answer(app, tps.id) == answer(other, tps.id) != far.id
        try:
            tps.lat, tps.lon = far.lat, far.lon + 0.0005
            save(writer)
            assert answer(app, tps.id) == answer(other, tps.id) == far.id
        finally:
            tps.lat, tps.lon = home
            save(writer)
        assert answer(app, tps.id) == answer(other, tps.id) != far.id
    engine.dispose()
    with other.app_context():
        db.engine.dispose()


def test_the_tps_importer_keeps_coverage_current(session, actor_for, tmp_path):
    from logistics.imports.tps_file import import_tps

    kel, lat, lon = "19.71.05.1002", -2.111704, 106.088938  # a point inside Kel. Bukit Merapen
    path = tmp_path / "tps.csv"
    path.write_text("kode_kelurahan,no_tps,alamat,lat,lon,dpt,jenis,lokasi_khusus\n"
                    f"{kel},1,Jl. Pindah,{lat},{lon},300,reguler,\n"
                    f"{kel},77,Jl. Baru,{lat},{lon},300,reguler,\n", encoding="utf-8")
    report = import_tps(session, actor_for("admin"), path)
    assert report.ok and (report.created, report.updated) == (1, 1)
    stations = {s.id: s for s in session.scalars(select(MedicStation))}
    for code in (f"{kel}-001", f"{kel}-077"):
        tps = session.scalar(select(Tps).where(Tps.code == code))
        station_id, distance = coverage.nearest(session, [tps.id])[tps.id]
        assert distance == pytest.approx(haversine_m(lat, lon, stations[station_id].lat, stations[station_id].lon))
    assert_matches_brute_force(session)


def test_a_large_recompute_copies_on_postgresql(session, monkeypatch):
    """The national path (COPY into an empty table; else COPY into a temporary table and one upsert),
    made to run at the city's size."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    from logistics.services import coverage as keeper

    monkeypatch.setattr(keeper, "_IN_CHUNK", 10)
    with UnitOfWork(session) as uow:  # like `flask recompute-coverage`: the rows and their data version
        session.execute(delete(TpsCoverage))
        assert recompute_all(session) == session.scalar(select(func.count(Tps.id)))
        assert_matches_brute_force(session)
        wrong = session.scalar(select(MedicStation.id).order_by(MedicStation.id).limit(1))
        session.execute(update(TpsCoverage).values(medic_station_id=wrong, distance_m=1.0))
        assert recompute_all(session) == session.scalar(select(func.count(Tps.id)))
        assert_matches_brute_force(session)
        uow.commit()
