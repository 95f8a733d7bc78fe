"""Closing an incident asks first and can be corrected: correct_incident reopens a closing within the
window, for who may close it, with a reason, audited, and tells of it (incident.reopened)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from logistics.errors import InvalidTransition, PermissionDenied, ValidationFailed
from logistics.events import EventKind
from logistics.models import AuditEntry, HealthFacility, IncidentStatus as S, OutboxEvent
from logistics.queries.audience import audience
from logistics.rules.lifecycles.incident import (
    REOPEN_WINDOW as INCIDENT_REOPEN_WINDOW, may_reopen as incident_may_reopen,
    status_before_close as incident_status_before_close,
)
from logistics.services.incidents import advance_incident, correct_incident
from logistics.timeutil import utcnow
from tests.field_client import log_in_as, post_form
from tests.test_field_incidents import _incident_for_medis
from tests.factories import save


def closed_incident(session, actor_for, *, referred: bool = False):
    medis = actor_for("medis")
    incident = _incident_for_medis(session, actor_for)
    advance_incident(session, medis, incident.id, S.RESPONDING)
    if referred:
        hospital = session.scalar(select(HealthFacility))
        advance_incident(session, medis, incident.id, S.REFERRED, referral_facility_id=hospital.id)
    advance_incident(session, medis, incident.id, S.CLOSED)
    return incident


def test_the_reopen_rule():
    now = utcnow()
    assert incident_may_reopen(S.CLOSED, now - INCIDENT_REOPEN_WINDOW, now)
    assert not incident_may_reopen(S.CLOSED, now - INCIDENT_REOPEN_WINDOW - timedelta(seconds=1), now)
    assert not incident_may_reopen(S.RESPONDING, None, now)
    assert incident_status_before_close(treated=True, referred=True) == S.REFERRED
    assert incident_status_before_close(treated=True, referred=False) == S.TREATED_ON_SITE
    assert incident_status_before_close(treated=False, referred=False) == S.RESPONDING


@pytest.mark.parametrize("referred, back_to", [(False, S.RESPONDING), (True, S.REFERRED)])
def test_a_closing_is_reopened_back_to_the_step_reached(session, actor_for, referred, back_to):
    incident = closed_incident(session, actor_for, referred=referred)
    reopened = correct_incident(session, actor_for("medis"), incident.id, "  salah tekan  ")
    assert reopened.status == back_to and reopened.closed_at is None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "health_incident",
                                                     AuditEntry.entity_id == incident.id)
                            .order_by(AuditEntry.id.desc())).first()
    assert entry.action == "incident.corrected" and entry.before["status"] == "closed"
    assert entry.after["status"] == back_to.value and entry.after["correction_reason"] == "salah tekan"
    event = session.scalars(select(OutboxEvent).where(OutboxEvent.entity_type == "health_incident",
                                                      OutboxEvent.entity_id == incident.id)
                            .order_by(OutboxEvent.id.desc())).first()
    assert event.kind == EventKind.INCIDENT_REOPENED.value and event.data["status"] == back_to.value
    assert actor_for("medis").user_id in audience(session, event)  # the station's medics hear of it
    # Reopened, it can be closed again.
    assert advance_incident(session, actor_for("medis"), incident.id, S.CLOSED).status == S.CLOSED


def test_a_correction_needs_a_reason_and_a_closing_within_the_window(session, actor_for):
    incident = closed_incident(session, actor_for)
    with pytest.raises(ValidationFailed) as caught:
        correct_incident(session, actor_for("medis"), incident.id, "   ")
    assert "reason" in caught.value.fields
    incident.closed_at = utcnow() - INCIDENT_REOPEN_WINDOW - timedelta(minutes=1)
    save(session)
    with pytest.raises(InvalidTransition):
        correct_incident(session, actor_for("medis"), incident.id, "salah tekan")
    assert incident.status == S.CLOSED


def test_an_open_incident_is_not_corrected(session, actor_for):
    incident = _incident_for_medis(session, actor_for)
    with pytest.raises(InvalidTransition):
        correct_incident(session, actor_for("medis"), incident.id, "salah tekan")


def test_only_who_may_close_it_may_reopen_it(session, actor_for):
    incident = closed_incident(session, actor_for)
    for name in ("petugas", "kurir", "mitra"):
        with pytest.raises(PermissionDenied):
            correct_incident(session, actor_for(name), incident.id, "salah tekan")
    assert incident.status == S.CLOSED


def test_selesai_asks_first_on_the_pages(client, session, actor_for):
    incident = _incident_for_medis(session, actor_for)
    advance_incident(session, actor_for("medis"), incident.id, S.RESPONDING)
    log_in_as(client, session, "medis")
    url = f"/lapangan/kejadian/{incident.id}"
    page = client.get(f"/lapangan/pos/{incident.medic_station_id}").get_data(as_text=True)
    assert f"Tutup kejadian #{incident.id}?" in page and 'data-confirm-yes="Ya, selesai"' in page
    asked = post_form(client, url + "/status", {"to_status": "closed"})
    assert asked.status_code == 200 and "Ya, selesai" in asked.get_data(as_text=True)
    refused = post_form(client, url + "/status", {"to_status": "closed"}, json=True)
    assert refused.status_code == 422 and "confirm" in refused.get_json()["error"]["fields"]
    session.refresh(incident)
    assert incident.status == S.RESPONDING
    closed = post_form(client, url + "/status", {"to_status": "closed", "confirm": "1"}, json=True)
    assert closed.status_code == 200
    session.refresh(incident)
    assert incident.status == S.CLOSED
    station_page = client.get(f"/lapangan/pos/{incident.medic_station_id}").get_data(as_text=True)
    assert "Baru selesai" in station_page and f"{url}\"" in station_page
    assert "Buka lagi" in client.get(url).get_data(as_text=True)
    no_reason = post_form(client, url + "/koreksi", {"reason": ""}, json=True)
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["error"]["fields"]
    reopened = post_form(client, url + "/koreksi", {"reason": "salah tekan"}, key="reopen-key-0001", json=True)
    again = post_form(client, url + "/koreksi", {"reason": "salah tekan"}, key="reopen-key-0001", json=True)
    assert reopened.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    session.refresh(incident)
    assert incident.status == S.RESPONDING


def test_another_station_cannot_reopen_on_the_pages(client, session, actor_for):
    incident = closed_incident(session, actor_for)
    log_in_as(client, session, "petugas")
    assert post_form(client, f"/lapangan/kejadian/{incident.id}/koreksi", {"reason": "x"}).status_code == 403
