"""The Pangkalpinang demo city: counts, geography, plans, accounts, idempotency."""
import csv
from datetime import date

import geopandas as gpd
from shapely.geometry import Point, shape
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from logistics.models import (
    Delivery, DeliveryKind, FacilityKind, HealthFacility, Kecamatan, Kelurahan, MealRound, MedicStation, Person,
    PersonRole, Role, Tps, TpsKind, User,
)
from logistics.queries.coverage import covering_station
from logistics.timeutil import to_local
from siaga.seeding import seed_demo
from tests.conftest import DEMO_PASSWORD


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_counts_of_the_city(session):
    assert count(session, Kecamatan) == 7
    assert count(session, Kelurahan) == 42
    assert count(session, Tps) == 319
    assert count(session, Tps, Tps.kind == TpsKind.REGULAR) == 315
    assert count(session, Tps, Tps.kind == TpsKind.SPECIAL) == 4
    assert session.scalar(select(func.sum(Tps.dpt))) == 169_016
    assert session.scalar(select(func.max(Tps.dpt))) <= 600
    assert count(session, HealthFacility) == 10


def test_every_kelurahan_has_tps_numbered_from_001(session):
    numbers = {}
    for kelurahan_id, number in session.execute(select(Tps.kelurahan_id, Tps.number)):
        numbers.setdefault(kelurahan_id, []).append(number)
    assert len(numbers) == 42
    for found in numbers.values():
        assert sorted(found) == list(range(1, len(found) + 1))


def test_special_tps_are_prisons_and_everything_is_marked_synthetic(session):
    special = session.scalars(select(Tps).where(Tps.kind == TpsKind.SPECIAL)).all()
    assert all("Lembaga" in t.special_location or "Rumah Tahanan" in t.special_location for t in special)
    assert count(session, Tps, Tps.position_synthetic.is_(False)) == 0


def test_every_tps_lies_inside_its_own_kelurahan(session):
    kelurahan = session.scalars(select(Kelurahan)).all()
    polygons = gpd.GeoDataFrame(
        {"kelurahan_id": [k.id for k in kelurahan]}, geometry=[shape(k.boundary) for k in kelurahan], crs="EPSG:4326"
    )
    tps = session.scalars(select(Tps)).all()
    points = gpd.GeoDataFrame(
        {"tps_id": [t.id for t in tps], "own_kelurahan": [t.kelurahan_id for t in tps]},
        geometry=[Point(t.lon, t.lat) for t in tps], crs="EPSG:4326",
    )
    joined = gpd.sjoin(points, polygons, predicate="within", how="left")
    assert len(joined) == len(tps), "a TPS falls in two overlapping kelurahan"
    outside = joined[joined["kelurahan_id"] != joined["own_kelurahan"]]
    assert outside.empty, f"TPS outside their kelurahan: {outside['tps_id'].tolist()}"


def test_generator_is_deterministic(tmp_path, monkeypatch):
    import seed_data.generate_tps as generator

    monkeypatch.setattr(generator, "OUT", tmp_path / "tps.csv")
    generator.main()
    with open(generator.HERE / "tps_pangkalpinang_synthetic.csv", encoding="utf-8") as fh:
        committed = list(csv.DictReader(fh))
    with open(tmp_path / "tps.csv", encoding="utf-8") as fh:
        assert list(csv.DictReader(fh)) == committed


def test_people_on_duty(session):
    for tps_id, ketua, anggota, linmas in session.execute(
        select(
            Tps.id,
            func.count().filter(Person.role == PersonRole.KPPS_KETUA),
            func.count().filter(Person.role == PersonRole.KPPS_ANGGOTA),
            func.count().filter(Person.role == PersonRole.LINMAS),
        ).join(Person, Person.tps_id == Tps.id).group_by(Tps.id)
    ):
        assert (ketua, anggota, linmas) == (1, 6, 2), tps_id
    assert count(session, Person, Person.phone.is_(None)) == 0


def test_medic_stations_cover_every_kecamatan_from_a_puskesmas(session):
    stations = session.scalars(select(MedicStation)).all()
    assert {s.kecamatan_id for s in stations} == set(session.scalars(select(Kecamatan.id)))
    for station in stations:
        assert station.base_facility.kind == FacilityKind.PUSKESMAS
        kecamatan_polygon = shape(station.kecamatan.boundary)
        assert kecamatan_polygon.buffer(0.01).contains(Point(station.lon, station.lat)), station.name


def test_meal_plan_and_logistics(session):
    meals = session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.MEAL)).all()
    assert len(meals) == 319 * 3
    assert {to_local(d.planned_at).date() for d in meals} == {date(2025, 8, 27)}
    assert {d.meal_round for d in meals} == {MealRound.PAGI, MealRound.SIANG, MealRound.MALAM}
    assert {d.quantity_planned for d in meals} == {9}  # 7 KPPS + 2 Linmas
    assert all(d.courier_id is not None for d in meals)
    lunch = [d for d in meals if d.meal_round == MealRound.SIANG]
    assert {to_local(d.planned_at).strftime("%H:%M") for d in lunch} == {"12:00"}

    logistics = session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.LOGISTICS)).all()
    assert {to_local(d.planned_at).date() for d in logistics} == {date(2025, 8, 26)}
    ballots = {d.tps_id: d.quantity_planned for d in logistics if d.item == "surat_suara"}
    for tps in session.scalars(select(Tps)):
        assert ballots[tps.id] >= tps.dpt * 1.025


DEMO_USERNAMES = {"admin", "koordinator", "camat-gerunggang", "petugas", "kurir", "medis", "mitra"}


def test_demo_accounts(session):
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(DEMO_USERNAMES)))}
    assert set(users) == DEMO_USERNAMES
    assert all(check_password_hash(u.password_hash, DEMO_PASSWORD) for u in users.values())
    assert not any(u.must_change_password for u in users.values())
    assert users["koordinator"].role == Role.COORDINATOR and users["koordinator"].kecamatan_id is None
    assert users["camat-gerunggang"].kecamatan.nama == "Gerunggang"
    petugas = users["petugas"]
    lowest = session.scalar(select(Kelurahan).order_by(Kelurahan.kode_kemendagri).limit(1))
    assert (petugas.tps.kelurahan_id, petugas.tps.number) == (lowest.id, 1)
    assert petugas.person.role == PersonRole.KPPS_KETUA and petugas.person.tps_id == petugas.tps_id
    kurir = users["kurir"]
    assert kurir.person.role == PersonRole.COURIER
    assert count(session, Delivery, Delivery.courier_id == kurir.person_id, Delivery.kind == DeliveryKind.MEAL) > 0
    # The demo accounts meet: the officer's incidents go to the medic's station (the nearest to their TPS).
    assert users["medis"].medic_station_id == covering_station(session, petugas.tps)
    assert users["medis"].person.medic_station_id == users["medis"].medic_station_id
    assert users["mitra"].role == Role.PARTNER and users["mitra"].agency == "Dinkes"


def test_gerunggang_field_staff_have_logins_waiting_for_their_cards(session):
    """One login per ketua KPPS (52 TPS), courier and medic of Gerunggang; the demo's kurir is among those
    people and keeps the account (medis works at the demo officer's nearest station, outside Gerunggang);
    no PIN is made until the cards are printed."""
    gerunggang = session.scalar(select(Kecamatan).where(Kecamatan.nama == "Gerunggang"))
    field = session.scalars(select(User).where(User.username.not_in(DEMO_USERNAMES))).all()
    tps_in_gerunggang = count(session, Tps, Tps.kelurahan_id.in_(
        select(Kelurahan.id).where(Kelurahan.kecamatan_id == gerunggang.id)))
    assert sum(u.role == Role.FIELD_OFFICER for u in field) == tps_in_gerunggang == 52
    couriers = count(session, Person, Person.role == PersonRole.COURIER, Person.kecamatan_id == gerunggang.id)
    medics = count(session, Person, Person.role == PersonRole.MEDIC, Person.kecamatan_id == gerunggang.id)
    assert sum(u.role == Role.COURIER for u in field) == couriers - 1  # the demo's kurir is one of them
    assert sum(u.role == Role.MEDIC for u in field) == medics
    assert all(u.must_change_password and u.pin_issued_at is None and u.last_login_at is None for u in field)
    assert not any(check_password_hash(u.password_hash, "000000") for u in field[:3])
    assert {u.username for u in field if u.role == Role.FIELD_OFFICER} >= {"tps-1971051001-001"}
    people = [u.person_id for u in session.scalars(select(User).where(User.person_id.is_not(None)))]
    assert len(people) == len(set(people))  # one login per person


def test_seeding_twice_changes_nothing(session):
    counts = seed_demo(session, demo_password="another")
    assert all(added == 0 for _, added in counts.values()), counts
    assert counts["tps"] == (319, 0)
    assert counts["person"][0] == count(session, Person)
