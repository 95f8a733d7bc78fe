"""Each area keeps its province's clock (WIB, WITA, WIT): the "not open" deadline, meal rounds, check-ins
and the pages follow it; the API stays UTC and names the zone."""
from datetime import date, time

import pytest
from sqlalchemy import func, select, update

from logistics.actor import Actor
from logistics.models import HealthIncident, Kecamatan, Kelurahan, Kota, PatientKind, Role, Tps, TpsStatus, Triage
from logistics.queries.alerts import collect_alerts
from logistics.queries.exports import delivery_rows, incident_rows, tps_rows
from logistics.queries.login_readiness import HEADER as READINESS_HEADER, readiness_rows
from logistics.queries.zones import day_window, deployment_zone, zones_in_use
from logistics.rules.checkins import schedule
from logistics.rules.roster import opening_window
from logistics.services.api_tokens import create_token
from logistics.services.unit_of_work import UnitOfWork
from logistics.rules.time_zones import WIB, WIT, WITA, zone_of
from logistics.models.enums import RiskTier
from logistics.timeutil import format_local, local_at
from tests.factories import make_kecamatan, make_kota, make_meal, make_person, make_tps, make_user, save
from tests.test_auth import login

DAY = date(2025, 8, 27)  # the test app's election day


def test_zone_comes_from_the_province_code():
    assert zone_of("19.71") is WIB  # Bangka Belitung: the demo city
    assert zone_of("61.71.01") is WIB and zone_of("62") is WIB  # Kalimantan Barat, Tengah
    assert zone_of("63.71") is WITA and zone_of("51.71.01.1001") is WITA and zone_of("73.71") is WITA
    assert zone_of("81.71.02.1001") is WIT and zone_of("82.71") is WIT and zone_of("91.71") is WIT
    assert zone_of("96.71") is WIT  # Papua Barat Daya (2022)
    with pytest.raises(ValueError):
        zone_of("99.01")


def test_wall_clock_times_follow_the_zone():
    assert local_at(DAY, time(7, 30), WIT).hour == 22 and local_at(DAY, time(7, 30), WIB).hour == 0
    assert format_local(local_at(DAY, time(7, 30), WITA), "%H:%M", WITA) == "07:30 WITA"
    assert opening_window(DAY, time(6), time(18), WIT)[0] == local_at(DAY, time(6), WIT)
    due = [at for _, at in schedule(RiskTier.TINGGI, DAY, WIT)]
    assert due[0] == local_at(DAY, time(9), WIT) and due[0] != local_at(DAY, time(9), WIB)


def _move_kota(session, kota_id: int, province: str) -> None:
    """Re-code one kota's tree into another province (rolled back with the test)."""
    kec_ids = select(Kecamatan.id).where(Kecamatan.kota_id == kota_id)
    for model, where in ((Kota, Kota.id == kota_id), (Kecamatan, Kecamatan.kota_id == kota_id),
                         (Kelurahan, Kelurahan.kecamatan_id.in_(kec_ids))):
        session.execute(update(model).where(where).values(
            kode_kemendagri=province + func.substr(model.kode_kemendagri, 3)))
    save(session)


def _second_kota_in(session, province: str) -> Tps:
    """A kab/kota of another province with one kecamatan, kelurahan and TPS."""
    box = dict(boundary={"type": "Polygon", "coordinates": [[[140.6, -2.6], [140.8, -2.6], [140.8, -2.5],
                                                             [140.6, -2.6]]]},
               min_lon=140.6, min_lat=-2.6, max_lon=140.8, max_lat=-2.5, label_lat=-2.55, label_lon=140.7)
    kota = Kota(kode_kemendagri=f"{province}.71", nama="Kota Uji", jenis="kota", provinsi="Uji", **box)
    kec = Kecamatan(kota=kota, kode_kemendagri=f"{province}.71.01", nama="Uji Satu", **box)
    kel = Kelurahan(kecamatan=kec, kode_kemendagri=f"{province}.71.01.1001", nama="Uji Raya", **box)
    tps = Tps(kelurahan=kel, number=1, code=f"{province}.71.01.1001-001", address="Jl. Uji", lat=-2.55, lon=140.7)
    session.add_all([kota, tps])
    save(session)
    return tps


def test_not_open_alert_fires_at_0730_in_each_areas_own_zone(session):
    papua = _second_kota_in(session, "91")  # next to the demo city (WIB)
    assert zones_in_use(session) == [WIB, WIT] and deployment_zone(session) is WIB
    start, end = day_window(session, DAY)
    assert start == local_at(DAY, time(0), WIT) and end == local_at(date(2025, 8, 28), time(0), WIB)

    def not_open(at):
        return [a for a in collect_alerts(session, at, start, end) if a.kind == "tps_not_open"]

    assert not not_open(local_at(DAY, time(7, 29), WIT))
    early = not_open(local_at(DAY, time(7, 31), WIT))  # 05:31 WIB: only the WIT area is late
    assert [a.tps_id for a in early] == [papua.id]
    assert early[0].since == local_at(DAY, time(7, 30), WIT) and "07.30 WIT" in str(early[0].message)
    both = not_open(local_at(DAY, time(7, 31), WIB))
    assert {a.tps_id for a in both} == {t.id for t in session.scalars(select(Tps))}
    demo = next(a for a in both if a.tps_id != papua.id)
    assert demo.since == local_at(DAY, time(7, 30), WIB) and "07.30 WIB" in str(demo.message)


def test_a_wit_city_pages_show_wit_and_the_api_names_the_zone(client, session, app):
    kota_id = session.scalar(select(Kota.id))
    _move_kota(session, kota_id, "81")  # the demo city as if in Maluku
    assert deployment_zone(session) is WIT
    start, end = day_window(session, DAY)
    assert start == local_at(DAY, time(0), WIT)
    assert not [a for a in collect_alerts(session, local_at(DAY, time(7, 29), WIT), start, end)
                if a.kind == "tps_not_open"]
    app.config["ELECTION_CLOCK"] = local_at(DAY, time(7, 45), WIT).isoformat()
    try:
        login(client, "koordinator")
        html = client.get("/dashboard").get_data(as_text=True)
        assert 'data-kind="tps_not_open"' in html and "07:30 WIT" in html and "07.30 WIT" in html
        assert "WIB" not in html
        tps = session.scalar(select(Tps).order_by(Tps.id))
        assert client.get(f"/tps/{tps.id}").status_code == 200
    finally:
        app.config.pop("ELECTION_CLOCK", None)
    _token, secret = create_token(session, Actor.system("test"), scopes=["read:tps", "read:wilayah"],
                                  agency="Dinkes")
    headers = {"Authorization": f"Bearer {secret}"}
    body = client.get(f"/api/v1/tps/{tps.id}", headers=headers).get_json()
    assert body["time_zone"] == "WIT" and body["updated_at"].endswith("+00:00")  # times stay UTC
    assert {k["time_zone"] for k in client.get("/api/v1/kecamatan", headers=headers).get_json()["items"]} == {"WIT"}


def _wit_tps(session):
    """A TPS in a Papua kab/kota (WIT) from the factories, opened at 07:05 WIT, with its noon meal and an
    incident at 09:10 WIT (written in a unit of work, as the seeded database's set-ups are)."""
    with UnitOfWork(session) as uow:
        kota = make_kota(session, province="91")
        tps = make_tps(session, kecamatan=make_kecamatan(session, kota), status=TpsStatus.OPEN,
                       opened_at=local_at(DAY, time(7, 5), WIT))
        make_meal(session, tps, planned_at=local_at(DAY, time(12), WIT))
        session.add(HealthIncident(occurred_at=local_at(DAY, time(9, 10), WIT), tps_id=tps.id,
                                   patient_kind=PatientKind.VOTER, complaint="Pusing", triage=Triage.HIJAU,
                                   reported_at=local_at(DAY, time(9, 12), WIT)))
        uow.commit()
    return tps


def test_exports_show_each_rows_time_in_its_own_areas_zone(session):
    tps = _wit_tps(session)
    kec_id = session.scalar(select(Kelurahan.kecamatan_id).where(Kelurahan.id == tps.kelurahan_id))
    header, rows = tps_rows(session, [kec_id])
    row = dict(zip(header, next(r for r in rows if r[0] == tps.code)))
    assert row["dibuka"] == "27-08-2025 07:05 WIT"
    header, rows = delivery_rows(session, [kec_id])
    assert dict(zip(header, next(rows)))["rencana"] == "27-08-2025 12:00 WIT"
    header, rows = incident_rows(session, [kec_id])
    row = dict(zip(header, next(rows)))
    assert (row["terjadi"], row["dilaporkan"]) == ("27-08-2025 09:10 WIT", "27-08-2025 09:12 WIT")
    # The demo city's rows, in the same export of the whole deployment, stay on WIB.
    header, rows = delivery_rows(session, None)
    planned = {row[1] == tps.code: row[header.index("rencana")] for row in rows}
    assert planned[False].endswith(" WIB") and planned[True].endswith(" WIT")


def test_the_export_download_of_a_wit_city_shows_wit(client, session):
    kota_id = session.scalar(select(Kota.id))
    _move_kota(session, kota_id, "81")  # the demo city as if in Maluku
    with UnitOfWork(session) as uow:
        tps = session.scalar(select(Tps).order_by(Tps.id))
        tps.status, tps.opened_at = TpsStatus.OPEN, local_at(DAY, time(7, 5), WIT)
        uow.commit()
    login(client, "koordinator")
    for subject in ("tps", "deliveries"):
        body = client.get(f"/dashboard/export/{subject}.csv").get_data(as_text=True)
        assert " WIT" in body and " WIB" not in body, subject
    line = next(line for line in client.get("/dashboard/export/tps.csv").get_data(as_text=True).splitlines()
                if line.startswith(tps.code + ","))
    assert ",27-08-2025 07:05 WIT," in line


def test_login_readiness_shows_the_persons_own_zone(session):
    tps = _wit_tps(session)
    with UnitOfWork(session) as uow:
        person = make_person(session, tps=tps, phone="081200000091")
        make_user(session, Role.FIELD_OFFICER, person_id=person.id, tps_id=tps.id,
                  pin_issued_at=local_at(DAY, time(8, 0), WIT), last_login_at=local_at(DAY, time(8, 30), WIT))
        uow.commit()
    kec_id = session.scalar(select(Kelurahan.kecamatan_id).where(Kelurahan.id == tps.kelurahan_id))
    rows = [dict(zip(READINESS_HEADER, r)) for r in readiness_rows(session, [kec_id], only_missing=False)]
    mine = next(r for r in rows if r["nama"] == person.name)
    assert (mine["kartu_dicetak"], mine["terakhir_masuk"]) == ("2025-08-27 08:00 WIT", "2025-08-27 08:30 WIT")


def test_a_wit_field_page_gives_its_script_the_wit_clock(client, session):
    """The phone's outbox writes when each waiting submission was tapped (field.js): in the field login's
    own zone, which the page hands to the script, not always WIB."""
    kota_id = session.scalar(select(Kota.id))
    _move_kota(session, kota_id, "81")  # the demo city as if in Maluku
    login(client, "petugas")
    html = client.get("/lapangan/tps", follow_redirects=True).get_data(as_text=True)
    assert 'data-zone="Asia/Jayapura"' in html and 'data-zone-abbr="WIT"' in html
