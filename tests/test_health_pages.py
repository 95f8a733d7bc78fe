"""Medics' officer-health pages: high-risk list, check-ins, screening."""
import html
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from logistics.models import HealthCheckin, HealthScreening, Person, RiskTier
from logistics.queries.coverage import tps_covered_by
from field.health_checks import PAGE_SIZE
from tests.factories import tps_not_covered_by
from tests.field_client import csrf_from as csrf, log_in_as as logged_in


def covered_high_risk(session, station_id):
    tps_ids = tps_covered_by(session, station_id)
    return session.scalars(select(HealthScreening).join(Person).where(
        Person.tps_id.in_(tps_ids), HealthScreening.risk_tier == RiskTier.TINGGI)).all()


def test_medic_sees_the_high_risk_officers_of_its_station(client, session, actor_for):
    medis = actor_for("medis")
    logged_in(client, session, "medis")
    pages = all_pages(client, "/lapangan/kesehatan/?tanggal=2025-08-27")
    page = "".join(pages)
    high = covered_high_risk(session, medis.medic_station_id)
    assert high, "the demo has high-risk officers near Gerunggang"
    for screening in high:
        assert screening.person.name in page
    # One form per officer: the next check due; the later ones of the day are listed by time.
    assert page.count('action="/lapangan/kesehatan/pemeriksaan/') == len(high)
    assert page.count("Berikutnya: 13:00, 17:00, 21:00 WIB") == len(high)
    # Paged: never more than PAGE_SIZE officers on one page.
    assert all(p.count('class="card"') <= PAGE_SIZE for p in pages) and len(pages) == -(-len(high) // PAGE_SIZE)
    assert all(len(p.encode()) < 100_000 for p in pages)


def all_pages(client, url: str) -> list[str]:
    """The page at `url` and every page after it (following rel=next)."""
    pages = []
    while url:
        pages.append(client.get(url).get_data(as_text=True))
        found = re.search(r'rel="next" href="([^"]+)"', pages[-1])
        url = html.unescape(found.group(1)) if found else None
    return pages


def test_high_risk_list_filters_by_tier_kelurahan_and_tps_search(client, session, actor_for):
    medis = actor_for("medis")
    logged_in(client, session, "medis")
    high = covered_high_risk(session, medis.medic_station_id)
    medium_names = set(session.scalars(select(Person.name).join(HealthScreening).where(
        Person.tps_id.in_(tps_covered_by(session, medis.medic_station_id)), HealthScreening.risk_tier == RiskTier.SEDANG)))
    some = high[0].person
    kelurahan = some.tps.kelurahan
    in_kelurahan = [s for s in high if s.person.tps.kelurahan_id == kelurahan.id]
    page = "".join(all_pages(client, f"/lapangan/kesehatan/?tanggal=2025-08-27&kelurahan={kelurahan.id}"))
    assert page.count('class="card"') == len(in_kelurahan) and some.name in page
    assert f"{len(in_kelurahan)} petugas" in page
    at_tps = [s for s in high if s.person.tps_id == some.tps_id]
    search = f"{some.tps.number} {kelurahan.nama}"
    page = "".join(all_pages(client, "/lapangan/kesehatan/?" + urlencode({"tanggal": "2025-08-27", "cari": search})))
    assert page.count('class="card"') == len(at_tps)
    assert {s.person.name for s in at_tps} <= set(re.findall(r"<h3>([^<]+) <small>", page))
    # Medium tier: a different list, and the heading says which.
    medium = "".join(all_pages(client, "/lapangan/kesehatan/?tanggal=2025-08-27&risiko=sedang"))
    shown = {html.unescape(name) for name in re.findall(r"<h3>([^<]+) <small>", medium)}
    assert "Petugas risiko sedang" in medium and shown and shown <= medium_names  # (synthetic names repeat)
    assert client.get("/lapangan/kesehatan/?risiko=parah").status_code == 422
    nothing = client.get("/lapangan/kesehatan/?" + urlencode({"cari": "tidakadakelurahanini"})).get_data(as_text=True)
    assert "Tidak ada petugas yang cocok." in nothing and "0 petugas" in nothing


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
    elsewhere = tps_not_covered_by(session, actor_for("medis").medic_station_id)
    outsider = session.scalar(select(Person).where(Person.tps_id == elsewhere.id))
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
    # As the offline queue sends it (JSON answer, idempotency key): errors per field, then once only.
    queued = {"csrf_token": token, "sistolik": "150", "diastolik": "95", "usia": "50", "idempotency_key": "scr-q-0001"}
    refused = client.post(path, data={**queued, "sistolik": "abc", "idempotency_key": "scr-q-0000"},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "sistolik" in refused.get_json()["error"]["fields"]
    answers = [client.post(path, data=queued, headers={"Accept": "application/json"}) for _ in range(3)]
    assert {a.status_code for a in answers} == {200} and answers[0].get_json()["redirect"] == "/lapangan/kesehatan/"
    assert session.scalar(select(func.count()).select_from(HealthScreening)
                          .where(HealthScreening.person_id == officer.id, HealthScreening.systolic == 150)) == 1


def test_other_roles_are_kept_out(client, session):
    for username in ("petugas", "kurir", "mitra"):
        logged_in(client, session, username)
        assert client.get("/lapangan/kesehatan/").status_code == 403


def test_the_screening_pages_rule_is_the_services(client, session, actor_for):
    """The page reads its officer through `officer_to_screen`, the rule `record_screening` applies: out of
    the medic's area a PermissionDenied (403 on the page), no such person a NotFound (404)."""
    from logistics.errors import NotFound, PermissionDenied
    from logistics.services.screening import officer_to_screen

    medis = actor_for("medis")
    elsewhere = tps_not_covered_by(session, medis.medic_station_id)
    outsider = session.scalar(select(Person).where(Person.tps_id == elsewhere.id))
    with pytest.raises(PermissionDenied):
        officer_to_screen(session, medis, outsider.id)
    with pytest.raises(NotFound):
        officer_to_screen(session, medis, 987654)
    logged_in(client, session, "medis")
    assert client.get("/lapangan/kesehatan/skrining/987654").status_code == 404
