"""Writes call the same services as the field pages, with the same permissions."""
from sqlalchemy import select

from logistics.models import Delivery, DeliveryKind, HealthIncident, Tps, User
from tests.api.conftest import assert_error
from tests.factories import meal, other_tps
from tests.factories import tps_not_covered_by

REPORT = {"patient_kind": "officer", "complaint": "pingsan", "triage": "merah"}


def petugas_tps(session) -> int:
    return session.scalar(select(User).where(User.username == "petugas")).tps_id


def test_field_app_token_posts_its_own_tps_status(client, bearer, session):
    headers = bearer(["write:tps-status", "read:tps"], user="petugas")
    tps_id = petugas_tps(session)
    response = client.post(f"/api/v1/tps/{tps_id}/status", json={"status": "open"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "open"
    assert session.get(Tps, tps_id).opened_at is not None
    officers = client.post(f"/api/v1/tps/{tps_id}/officers", json={"count": 7}, headers=headers)
    assert officers.get_json()["officers_present"] == 7
    assert_error(client.post(f"/api/v1/tps/{tps_id}/status", json={"status": "setup"}, headers=headers),
                 409, "invalid_transition")
    elsewhere = other_tps(session, tps_id)
    assert_error(client.post(f"/api/v1/tps/{elsewhere.id}/status", json={"status": "open"}, headers=headers), 403)


def test_a_refusal_follows_the_language(client, bearer, session):
    """A service's refusal is a catalogue text like every other message, not a fixed two-language string."""
    headers = bearer(["write:tps-status"], user="petugas")
    elsewhere = f"/api/v1/tps/{other_tps(session, petugas_tps(session)).id}/status"
    english = client.post(elsewhere + "?lang=en", json={"status": "open"}, headers=headers).get_json()["error"]
    assert english["code"] == "forbidden" and english["message"] == "You may only report for your own TPS"
    indonesian = client.post(elsewhere, json={"status": "open"}, headers=headers).get_json()["error"]
    assert indonesian["message"] == "Anda hanya boleh melapor untuk TPS Anda sendiri"


def test_write_needs_the_write_scope(client, bearer, session):
    headers = bearer(["read:tps"], user="petugas")
    assert_error(client.post(f"/api/v1/tps/{petugas_tps(session)}/status", json={"status": "open"},
                             headers=headers), 403)


def test_delivery_steps_with_receipt(client, bearer, session):
    headers = bearer(["write:deliveries"], user="petugas")
    delivery = meal(session, petugas_tps(session))
    response = client.post(f"/api/v1/deliveries/{delivery.id}/steps", headers=headers,
                           json={"status": "delivered", "quantity_received": 8, "received_by": "Ketua KPPS"})
    assert response.status_code == 200, response.get_json()
    assert session.get(Delivery, delivery.id).quantity_received == 8
    assert_error(client.post(f"/api/v1/deliveries/{delivery.id}/steps", json={"status": "dispatched"},
                             headers=headers), 409)
    other = session.scalar(select(Delivery).where(Delivery.tps_id != delivery.tps_id,
                                                  Delivery.kind == DeliveryKind.MEAL))
    assert_error(client.post(f"/api/v1/deliveries/{other.id}/steps", json={"status": "delivered"},
                             headers=headers), 403)


def test_partner_with_write_scope_reports_an_incident(client, bearer, session):
    headers = bearer(["write:incidents"], agency="TNI-Polri")
    response = client.post("/api/v1/incidents", json={**REPORT, "tps_id": petugas_tps(session)}, headers=headers)
    assert response.status_code == 201
    assert session.get(HealthIncident, response.get_json()["id"]).medic_station_id is not None


def test_partner_without_write_scope_may_not_report(client, bearer, session):
    assert_error(client.post("/api/v1/incidents", json={**REPORT, "tps_id": petugas_tps(session)},
                             headers=bearer(["read:incidents"])), 403)


def test_health_office_may_record_care_steps_other_partners_may_not(client, bearer, session):
    reporter = bearer(["write:incidents"], agency="TNI-Polri")
    incident_id = client.post("/api/v1/incidents", json={**REPORT, "lat": -2.13, "lon": 106.11},
                              headers=reporter).get_json()["id"]
    assert_error(client.post(f"/api/v1/incidents/{incident_id}/steps", json={"status": "responding"},
                             headers=reporter), 403)
    dinkes = bearer(["write:incidents"], agency="Dinkes")
    step = client.post(f"/api/v1/incidents/{incident_id}/steps", json={"status": "responding"}, headers=dinkes)
    assert step.status_code == 200 and step.get_json()["status"] == "responding"
    assert_error(client.post(f"/api/v1/incidents/{incident_id}/steps", json={"status": "referred"},
                             headers=dinkes), 422)


def test_medic_token_moves_its_own_stations_incident_only(client, bearer, session):
    medic = session.scalar(select(User).where(User.username == "medis"))
    station = medic.medic_station
    reporter = bearer(["write:incidents"], agency="TNI-Polri")
    here = client.post("/api/v1/incidents", json={**REPORT, "lat": station.lat, "lon": station.lon},
                       headers=reporter).get_json()
    assert here["medic_station_id"] == station.id
    elsewhere = client.post("/api/v1/incidents", json={**REPORT, "tps_id": tps_not_covered_by(session, station.id).id},
                            headers=reporter).get_json()
    assert elsewhere["medic_station_id"] != station.id
    medis = bearer(["write:incidents"], user="medis")
    assert client.post(f"/api/v1/incidents/{here['id']}/steps", json={"status": "responding"},
                       headers=medis).status_code == 200
    assert_error(client.post(f"/api/v1/incidents/{elsewhere['id']}/steps", json={"status": "responding"},
                             headers=medis), 403)


def test_logistics_receipt_with_damaged_items_over_the_api(client, bearer, session):
    headers = bearer(["write:deliveries"], user="petugas")
    ballots = session.scalar(select(Delivery).where(Delivery.tps_id == petugas_tps(session),
                                                    Delivery.kind == DeliveryKind.LOGISTICS, Delivery.item == "surat_suara"))
    response = client.post(f"/api/v1/deliveries/{ballots.id}/steps", headers=headers, json={
        "status": "delivered", "quantity_received": ballots.quantity_planned, "quantity_damaged": 4})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["quantity_damaged"] == 4
    lunch = meal(session, petugas_tps(session))
    assert_error(client.post(f"/api/v1/deliveries/{lunch.id}/steps", headers=headers,
                             json={"status": "delivered", "quantity_damaged": 1}), 422)
    listed = client.get(f"/api/v1/deliveries?tps_id={lunch.tps_id}&kind=meal",
                        headers=bearer(["read:deliveries"])).get_json()["items"]
    mine = next(d for d in listed if d["id"] == lunch.id)  # the courier's tour and ETA are readable too
    assert mine["route_seq"] == lunch.route_seq and mine["eta_at"].startswith(lunch.eta_at.strftime("%Y-%m-%dT%H:%M"))
