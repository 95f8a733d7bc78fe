"""The place picker for reports by medics, couriers and coordinators: a TPS search within the read scope,
as JSON for the live search and as the report page's own select without JavaScript."""
import re

from sqlalchemy import select

from logistics.models import HealthIncident, Tps
from logistics.queries.coverage import tps_covered_by
from tests.field_client import csrf_from as csrf, log_in_as as logged_in


def ids(client, q):
    response = client.get("/lapangan/tps/cari", query_string={"q": q})
    assert response.status_code == 200
    return [item["id"] for item in response.get_json()["items"]]


def test_search_matches_number_and_kelurahan_within_the_medics_coverage(client, session, actor_for):
    medis = actor_for("medis")
    covered = set(tps_covered_by(session, medis.medic_station_id))
    logged_in(client, session, "medis")
    everything = ids(client, "")
    assert everything and set(everything) <= covered
    some = session.get(Tps, sorted(covered)[0])
    name = some.kelurahan.nama
    by_name = ids(client, name.split()[-1].upper())
    assert some.id in by_name and set(by_name) <= covered
    exact = ids(client, f"{some.number} {name.lower()}")
    assert exact == [some.id] or (some.id in exact and all(session.get(Tps, i).number == some.number for i in exact))
    outside = session.scalar(select(Tps).where(Tps.id.not_in(covered)).order_by(Tps.id))
    assert outside.id not in ids(client, outside.kelurahan.nama)
    assert ids(client, "%") == [] and ids(client, "_") == []  # LIKE wildcards are text


def test_coordinator_search_is_kept_to_its_kecamatan(client, session):
    logged_in(client, session, "camat-gerunggang")
    found = ids(client, "")
    kecamatan = {session.get(Tps, i).kelurahan.kecamatan.nama for i in found}
    assert kecamatan == {"Gerunggang"}
    assert ids(client, "Bukit Intan") == []
    assert client.get("/lapangan/tps/cari", query_string={"q": "x" * 61}).status_code == 422


def test_without_javascript_the_page_searches_and_the_report_lands_on_the_chosen_tps(client, session, actor_for):
    medis = actor_for("medis")
    covered = sorted(tps_covered_by(session, medis.medic_station_id))
    target = session.get(Tps, covered[-1])
    logged_in(client, session, "medis")
    page = client.get("/lapangan/kejadian/baru", query_string={"cari": f"{target.number} {target.kelurahan.nama}"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="cari-tps"' in html and "tps-picker.js" in html
    options = re.findall(r'<option value="(\d+)"', html[html.index('<select id="tps_id"'):])
    assert str(target.id) in options and "Tempat: <strong>—" not in html
    token = csrf(client, "/lapangan/kejadian/baru")
    client.post("/lapangan/kejadian", data={"csrf_token": token, "patient_kind": "voter", "complaint": "pingsan",
                                           "triage": "kuning", "tps_id": str(target.id)})
    incident = session.scalar(select(HealthIncident).order_by(HealthIncident.id.desc()))
    assert incident.tps_id == target.id and incident.effective_lat == target.lat


def test_an_officer_keeps_its_own_tps_without_a_picker(client, session, actor_for):
    petugas = actor_for("petugas")
    logged_in(client, session, "petugas")
    html = client.get("/lapangan/kejadian/baru").get_data(as_text=True)
    assert 'id="cari-tps"' not in html and f'name="tps_id" value="{petugas.tps_id}"' in html
    assert ids(client, "") == [petugas.tps_id]
