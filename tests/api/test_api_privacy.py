"""Patient names, people's phones and notes only for callers with read:health-pii."""
import pytest

from logistics.services.incidents import report_incident
from tests.api.conftest import READ_ALL

NAME = "Siti Rahmawati"
NOTE = "riwayat hipertensi"
PERSONAL = {"patient_name", "notes"}


@pytest.fixture()
def named_incident(session, actor_for):
    petugas = actor_for("petugas")
    return report_incident(session, petugas, patient_kind="officer", complaint="pingsan", triage="merah",
                           tps_id=petugas.tps_id, patient_name=NAME, notes=NOTE)


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


@pytest.mark.parametrize("username, sees", [("mitra", False), ("koordinator", True), ("medis", True)])
def test_browser_sessions_see_what_their_role_may(logged_in, named_incident, username, sees):
    detail = logged_in(username).get(f"/api/v1/incidents/{named_incident.id}").get_json()
    assert ("patient_name" in detail) is sees and (NAME in str(detail)) is sees
