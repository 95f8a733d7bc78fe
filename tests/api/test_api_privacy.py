"""Patient names, people's phones and notes only for callers with read:health-pii."""
import pytest
from sqlalchemy import select

from logistics.models import Kecamatan, Kelurahan, MedicStation, Tps
from logistics.services.incidents import assign_medic_station, report_incident
from tests.api.conftest import READ_ALL

NAME = "Siti Rahmawati"
NOTE = "riwayat hipertensi"
PERSONAL = {"patient_name", "notes"}


@pytest.fixture()
def named_incident(session, actor_for):
    """A named incident at the `petugas`'s TPS (Bukit Intan), handed to its kecamatan's station: not the
    `medis`'s (the station nearest that TPS, where it would have gone by itself)."""
    petugas = actor_for("petugas")
    incident = report_incident(session, petugas, patient_kind="officer", complaint="pingsan", triage="merah",
                               tps_id=petugas.tps_id, patient_name=NAME, notes=NOTE)
    tps = session.get(Tps, petugas.tps_id)
    station = session.scalar(select(MedicStation).where(MedicStation.kecamatan_id == tps.kelurahan.kecamatan_id)
                             .order_by(MedicStation.id).limit(1))
    return assign_medic_station(session, actor_for("koordinator"), incident.id, station.id)


def test_partner_without_the_scope_never_sees_a_name(client, bearer, named_incident):
    headers = bearer(READ_ALL + ["write:incidents"], agency="Dinkes")
    listed = client.get("/api/v1/incidents?limit=1000", headers=headers)
    detail = client.get(f"/api/v1/incidents/{named_incident.id}", headers=headers)
    written = client.post("/api/v1/incidents", headers=headers, json={
        "patient_kind": "voter", "complaint": "pusing", "triage": "hijau", "lat": -2.13, "lon": 106.11,
        "patient_name": NAME, "notes": NOTE})
    step = client.post(f"/api/v1/incidents/{named_incident.id}/steps", json={"status": "responding"}, headers=headers)
    stations = client.get("/api/v1/medic-stations", headers=headers)
    deliveries = client.get("/api/v1/deliveries?limit=50", headers=headers)
    assert written.status_code == 201 and step.status_code == 200
    for response in (listed, detail, written, step, stations, deliveries):
        assert NAME not in response.get_data(as_text=True) and NOTE not in response.get_data(as_text=True)
    assert all(not PERSONAL & set(item) for item in listed.get_json()["items"])
    assert not PERSONAL & set(detail.get_json()) and not PERSONAL & set(written.get_json())
    assert all("contact_phone" not in s for s in stations.get_json()["items"])
    assert all(not {"notes", "received_by", "failure_reason"} & set(d) for d in deliveries.get_json()["items"])


def test_geojson_and_tps_carry_no_personal_fields(client, bearer, named_incident):
    body = client.get("/api/v1/tps?format=geojson&limit=1000", headers=bearer()).get_data(as_text=True)
    assert NAME not in body and "phone" not in body


def test_token_with_the_scope_sees_them(client, bearer, named_incident):
    headers = bearer(["read:incidents", "read:health-pii"])
    detail = client.get(f"/api/v1/incidents/{named_incident.id}", headers=headers).get_json()
    assert detail["patient_name"] == NAME and detail["notes"] == NOTE
    stations = client.get("/api/v1/medic-stations", headers=headers).get_json()["items"]
    assert all("contact_phone" in s for s in stations)


@pytest.fixture()
def station_incident(session, actor_for):
    """A named incident at a Gerunggang TPS, handed to the `medis` account's station."""
    medis = actor_for("medis")
    tps = session.scalar(select(Tps).join(Kelurahan).join(Kecamatan).where(Kecamatan.nama == "Gerunggang")
                         .order_by(Tps.code).limit(1))
    incident = report_incident(session, actor_for("koordinator"), patient_kind="voter", complaint="pusing",
                               triage="kuning", tps_id=tps.id, patient_name=NAME, notes=NOTE)
    return assign_medic_station(session, actor_for("koordinator"), incident.id, medis.medic_station_id)


def test_city_coordinator_sees_names(logged_in, named_incident):
    detail = logged_in("koordinator").get(f"/api/v1/incidents/{named_incident.id}").get_json()
    assert detail["patient_name"] == NAME and detail["notes"] == NOTE


def test_medic_sees_names_of_their_station_only(logged_in, named_incident, station_incident):
    client = logged_in("medis")
    own = client.get(f"/api/v1/incidents/{station_incident.id}")
    other = client.get(f"/api/v1/incidents/{named_incident.id}")
    listed = client.get("/api/v1/incidents?limit=1000").get_json()["items"]
    assert named_incident.medic_station_id != station_incident.medic_station_id
    assert own.status_code == 200 and own.get_json()["patient_name"] == NAME
    assert other.status_code == 403 and NAME not in other.get_data(as_text=True)
    assert listed and {i["medic_station_id"] for i in listed} == {station_incident.medic_station_id}


def test_kecamatan_coordinator_sees_only_their_kecamatan(logged_in, named_incident, station_incident):
    client = logged_in("camat-gerunggang")
    assert client.get(f"/api/v1/incidents/{named_incident.id}").status_code == 403
    assert client.get(f"/api/v1/incidents/{station_incident.id}").get_json()["patient_name"] == NAME
    listed = client.get("/api/v1/incidents?limit=1000").get_json()["items"]
    assert named_incident.id not in {i["id"] for i in listed} and station_incident.id in {i["id"] for i in listed}


def test_partner_user_without_agency_tokens_reads_nothing(logged_in, named_incident):
    assert logged_in("mitra").get(f"/api/v1/incidents/{named_incident.id}").status_code == 403
    assert logged_in("mitra").get("/api/v1/incidents").status_code == 403


def test_partner_user_reads_with_its_agency_scopes(logged_in, bearer, named_incident):
    bearer(["read:incidents"], agency="Dinkes")  # the agency's grant: incidents, without names
    detail = logged_in("mitra").get(f"/api/v1/incidents/{named_incident.id}")
    assert detail.status_code == 200 and "patient_name" not in detail.get_json()
    assert logged_in("mitra").get("/api/v1/tps").status_code == 403


def test_user_token_sees_no_more_than_the_user(client, bearer, named_incident, station_incident):
    headers = bearer(["read:incidents", "read:health-pii", "read:summary"], user="camat-gerunggang")
    assert client.get(f"/api/v1/incidents/{named_incident.id}", headers=headers).status_code == 403
    assert client.get(f"/api/v1/incidents/{station_incident.id}", headers=headers).get_json()["notes"] == NOTE
    officer = bearer(["read:incidents", "read:summary"], user="petugas")
    assert client.get("/api/v1/summary", headers=officer).status_code == 403
