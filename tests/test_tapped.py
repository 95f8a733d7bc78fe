"""Times as tapped: a post carries the moment it was tapped; the step keeps it within the rule's bounds,
and the audit entry keeps what the phone said beside the time received."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from logistics.models import AuditEntry, HealthIncident, IncidentStatus as S
from logistics.rules.care_times import time_to_response
from logistics.rules.tapped import FUTURE, MAX_AGE, MAX_SKEW, TOO_OLD, bound_tapped
from logistics.timeutil import utcnow
from tests.field_client import log_in_as, post_form
from tests.test_field_incidents import REPORT, _incident_for_medis
from tests.factories import save


def test_the_bounds():
    received = utcnow()
    assert bound_tapped(received - timedelta(hours=3), received).at == received - timedelta(hours=3)
    skewed = bound_tapped(received + MAX_SKEW, received)  # clock skew: believed, but not after receipt
    assert (skewed.at, skewed.note) == (received, None)
    ahead = bound_tapped(received + MAX_SKEW + timedelta(seconds=1), received)
    assert (ahead.at, ahead.note, ahead.claimed) == (received, FUTURE, received + MAX_SKEW + timedelta(seconds=1))
    assert bound_tapped(received - MAX_AGE, received).at == received - MAX_AGE
    old = bound_tapped(received - MAX_AGE - timedelta(seconds=1), received)
    assert (old.at, old.note) == (received, TOO_OLD)


def audit_of(session, incident_id: int, action: str) -> AuditEntry:
    return session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "health_incident",
                                                   AuditEntry.entity_id == incident_id, AuditEntry.action == action))


def test_queued_posts_keep_the_time_they_were_tapped(client, session, actor_for):
    """A report tapped 30 minutes ago and a response tapped 20 minutes ago, both sent now: the incident
    keeps the taps, so time-to-response is 10 minutes, not 0."""
    now = utcnow()
    log_in_as(client, session, "petugas")
    reported = post_form(client, "/lapangan/kejadian",
                         {**REPORT, "tapped_at": (now - timedelta(minutes=30)).isoformat()}, key="tap-report-001",
                         json=True)
    assert reported.status_code == 200
    incident = session.scalars(select(HealthIncident).order_by(HealthIncident.id.desc())).first()
    assert abs(incident.reported_at - (now - timedelta(minutes=30))) < timedelta(seconds=1)
    entry = audit_of(session, incident.id, "incident.reported")
    assert abs(entry.tapped_at - (now - timedelta(minutes=30))) < timedelta(seconds=1)
    assert entry.at >= now and entry.tapped_note is None  # received now, beside the tap

    medic_incident = _incident_for_medis(session, actor_for)
    medic_incident.reported_at = now - timedelta(minutes=30)
    save(session)
    log_in_as(client, session, "medis")
    tapped = (now - timedelta(minutes=20)).astimezone().isoformat().replace("+00:00", "Z")
    stepped = post_form(client, f"/lapangan/kejadian/{medic_incident.id}/status",
                        {"to_status": "responding", "tapped_at": tapped}, key="tap-step-0001", json=True)
    assert stepped.status_code == 200
    session.refresh(medic_incident)
    assert time_to_response(medic_incident.reported_at, medic_incident.responding_at) == 10
    page = client.get(f"/lapangan/kejadian/{medic_incident.id}").get_data(as_text=True)
    assert "10 menit" in page


@pytest.mark.parametrize("offset, note", [(MAX_SKEW + timedelta(minutes=1), FUTURE),
                                          (-MAX_AGE - timedelta(minutes=1), TOO_OLD)])
def test_a_tap_out_of_bounds_is_the_time_received_and_noted(client, session, actor_for, offset, note):
    incident = _incident_for_medis(session, actor_for)
    log_in_as(client, session, "medis")
    claimed = utcnow() + offset
    before = utcnow()
    response = post_form(client, f"/lapangan/kejadian/{incident.id}/status",
                         {"to_status": "responding", "tapped_at": claimed.isoformat()}, key="tap-bound-001", json=True)
    assert response.status_code == 200
    session.refresh(incident)
    assert before <= incident.responding_at <= utcnow()
    entry = audit_of(session, incident.id, "incident.responding")
    assert entry.tapped_note == note and abs(entry.tapped_at - claimed) < timedelta(seconds=1)


@pytest.mark.parametrize("value", ["kemarin", "2025-08-27T07:00:00", "0001-01-01T00:00:00+00:00", "9" * 60])
def test_a_malformed_tap_is_refused_with_a_message(client, session, actor_for, value):
    incident = _incident_for_medis(session, actor_for)
    log_in_as(client, session, "medis")
    response = post_form(client, f"/lapangan/kejadian/{incident.id}/status",
                         {"to_status": "responding", "tapped_at": value}, key="tap-bad-00001", json=True)
    assert response.status_code == 422 and "tapped_at" in response.get_json()["error"]["fields"]
    session.refresh(incident)
    assert incident.status == S.REPORTED


def test_the_same_submission_tapped_again_after_back_replays(client, session, actor_for):
    """The key is reused from Back with the same fields; a new tap moment does not make it another
    submission (no 409 for a reused key), and the first tap's time stands."""
    incident = _incident_for_medis(session, actor_for)
    log_in_as(client, session, "medis")
    url = f"/lapangan/kejadian/{incident.id}/status"
    first = utcnow() - timedelta(minutes=5)
    one = post_form(client, url, {"to_status": "responding", "tapped_at": first.isoformat()}, key="tap-back-0001",
                    json=True)
    two = post_form(client, url, {"to_status": "responding", "tapped_at": utcnow().isoformat()}, key="tap-back-0001",
                    json=True)
    assert one.status_code == two.status_code == 200 and two.headers.get("Idempotent-Replayed") == "true"
    session.refresh(incident)
    assert abs(incident.responding_at - first) < timedelta(seconds=1)
