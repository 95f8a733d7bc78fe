"""API posts carry the moment they were tapped in `Tapped-At` (the field pages: the `tapped_at` field)."""
from datetime import timedelta

from sqlalchemy import select

from logistics.models import AuditEntry, HealthIncident, User
from logistics.rules.tapped import TOO_OLD
from logistics.timeutil import utcnow
from tests.api.conftest import assert_error

REPORT = {"patient_kind": "officer", "complaint": "pingsan", "triage": "merah"}


def test_a_step_keeps_the_tapped_moment_and_the_audit_keeps_both(client, bearer, session):
    station = session.scalar(select(User).where(User.username == "medis")).medic_station
    reporter = bearer(["write:incidents"], agency="TNI-Polri")
    incident = client.post("/api/v1/incidents", json={**REPORT, "lat": station.lat, "lon": station.lon},
                           headers=reporter).get_json()
    medis = bearer(["write:incidents"], user="medis")
    claimed = utcnow() - timedelta(minutes=7)
    response = client.post(f"/api/v1/incidents/{incident['id']}/steps", json={"status": "responding"},
                           headers={**medis, "Idempotency-Key": "api-tap-00001", "Tapped-At": claimed.isoformat()})
    assert response.status_code == 200
    stored = session.get(HealthIncident, incident["id"])
    assert abs(stored.responding_at - claimed) < timedelta(seconds=1)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "incident.responding",
                                                    AuditEntry.entity_id == incident["id"]))
    assert abs(entry.tapped_at - claimed) < timedelta(seconds=1) and entry.at > claimed + timedelta(minutes=6)


def test_a_day_old_tap_is_the_time_received(client, bearer, session):
    tps_id = session.scalar(select(User).where(User.username == "petugas")).tps_id
    headers = bearer(["write:tps-status", "read:tps"], user="petugas")
    before = utcnow()
    response = client.post(f"/api/v1/tps/{tps_id}/officers", json={"count": 7},
                           headers={**headers, "Idempotency-Key": "api-tap-00002",
                                    "Tapped-At": (before - timedelta(hours=25)).isoformat()})
    assert response.status_code == 200
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "tps", AuditEntry.entity_id == tps_id)
                            .order_by(AuditEntry.id.desc())).first()
    assert entry.tapped_note == TOO_OLD
    assert_error(client.post(f"/api/v1/tps/{tps_id}/officers", json={"count": 7},
                             headers={**headers, "Idempotency-Key": "api-tap-00003", "Tapped-At": "tadi"}), 422)


def test_the_description_states_the_rules_bounds(client):
    description = client.get("/api/openapi.json").get_json()["info"]["description"]
    assert "Tapped-At" in description and "2 minutes ahead" in description and "24 hours back" in description
