"""Medics' officer-health pages: high-risk list, check-ins, screening."""
from sqlalchemy import select

from logistics.models import HealthCheckin, HealthScreening, Person, RiskTier
from logistics.queries.coverage import tps_covered_by
from tests.field_client import csrf_from as csrf, log_in_as as logged_in


def covered_high_risk(session, station_id):
    tps_ids = tps_covered_by(session, station_id)
    return session.scalars(select(HealthScreening).join(Person).where(
        Person.tps_id.in_(tps_ids), HealthScreening.risk_tier == RiskTier.TINGGI)).all()


def test_medic_sees_the_high_risk_officers_of_its_station(client, session, actor_for):
    medis = actor_for("medis")
    logged_in(client, session, "medis")
    page = client.get("/lapangan/kesehatan/?tanggal=2025-08-27").get_data(as_text=True)
    high = covered_high_risk(session, medis.medic_station_id)
    assert high, "the demo has high-risk officers near Gerunggang"
    for screening in high:
        assert screening.person.name in page
    # One form per officer: the next check due; the later ones of the day are listed by time.
    assert page.count('action="/lapangan/kesehatan/pemeriksaan/') == len(high)
    assert page.count("Berikutnya: 13:00, 17:00, 21:00 WIB") == len(high)
    assert len(page.encode()) < 100_000


def test_ticking_a_checkin_once_even_when_sent_twice(client, session, actor_for):
    medis = actor_for("medis")
    person_id = covered_high_risk(session, medis.medic_station_id)[0].person_id
    checkin = session.scalar(select(HealthCheckin).where(HealthCheckin.person_id == person_id).order_by(HealthCheckin.due_at))
    logged_in(client, session, "medis")
    token = csrf(client, "/lapangan/kesehatan/")
    data = {"csrf_token": token, "hasil": "baik", "catatan": "Tensi 150/95", "idempotency_key": "checkin-abc-001"}
    first = client.post(f"/lapangan/kesehatan/pemeriksaan/{checkin.id}", data=data)
    second = client.post(f"/lapangan/kesehatan/pemeriksaan/{checkin.id}", data=data)
    assert first.status_code == second.status_code == 303 and second.headers["Idempotent-Replayed"] == "true"
    assert checkin.outcome == "baik" and checkin.notes == "Tensi 150/95"


def test_medic_cannot_tick_another_stations_officer(client, session, actor_for):
    outsider = session.scalar(select(Person).where(Person.tps_id == actor_for("petugas").tps_id))
    checkin = session.scalar(select(HealthCheckin).where(HealthCheckin.person_id == outsider.id).limit(1))
    logged_in(client, session, "medis")
    token = csrf(client, "/lapangan/kesehatan/")
    response = client.post(f"/lapangan/kesehatan/pemeriksaan/{checkin.id}", data={"csrf_token": token, "hasil": "baik"})
    assert response.status_code == 403 and checkin.done_at is None
    assert client.get(f"/lapangan/kesehatan/skrining/{outsider.id}").status_code == 403


def test_screening_form(client, session, actor_for):
    medis = actor_for("medis")
    officer = session.scalar(select(Person).where(Person.tps_id.in_(tps_covered_by(session, medis.medic_station_id)))
                             .order_by(Person.code))
    logged_in(client, session, "medis")
    path = f"/lapangan/kesehatan/skrining/{officer.id}"
    token = csrf(client, path)
    bad = client.post(path, data={"csrf_token": token, "sistolik": "abc", "diastolik": "80", "usia": "12"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Isi angka 50 sampai 300." in text and "Isi angka 17 sampai 100." in text
    ok = client.post(path, data={"csrf_token": token, "sistolik": "170", "diastolik": "100", "gula_darah": "",
                                 "usia": "58", "kondisi": ["diabetes"]}, follow_redirects=True)
    assert "Skrining disimpan: risiko tinggi." in ok.get_data(as_text=True)


def test_other_roles_are_kept_out(client, session):
    for username in ("petugas", "kurir", "mitra"):
        logged_in(client, session, username)
        assert client.get("/lapangan/kesehatan/").status_code == 403
