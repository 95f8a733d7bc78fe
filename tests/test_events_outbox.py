"""The events spine: services raise events into the outbox with their change; the worker delivers each to
each recipient at most once, retries failures, drops gone recipients and takes over a dead sender's claims."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from logistics.events import EventKind
from logistics.models import EventDelivery, HealthIncident, OutboxEvent, Role, User
from logistics.queries.audience import audience
from logistics.services.alert_events import raise_due_alerts
from logistics.services.incidents import report_incident
from logistics.services.unit_of_work import UnitOfWork
from logistics.timeutil import utcnow
from siaga.worker import outbox
from siaga.worker.channels import Gone


def report_merah(session, actor, **overrides):
    values = dict(patient_kind="officer", complaint="pingsan", triage="merah", tps_id=actor.tps_id,
                  patient_name="Siti Aminah", notes="tidak sadar")
    values.update(overrides)
    return report_incident(session, actor, **values)


def events_of(session, entity_id, kind=None):
    query = select(OutboxEvent).where(OutboxEvent.entity_id == entity_id)
    if kind:
        query = query.where(OutboxEvent.kind == kind.value)
    return session.scalars(query.order_by(OutboxEvent.id)).all()


class Recording:
    """A channel that tells each event's audience; `fail` and `gone` decide how a send ends."""

    name = "test"

    def __init__(self, fail=(), gone=()):
        self.sent: list[tuple[int, str]] = []
        self.dropped: list[str] = []
        self.fail, self.gone = set(fail), set(gone)

    def recipients(self, session, event):
        return [str(user_id) for user_id in audience(session, event)]

    def send(self, session, event, recipient):
        if recipient in self.gone:
            raise Gone(recipient)
        if recipient in self.fail:
            raise ConnectionError("push service unreachable")
        self.sent.append((event.id, recipient))

    def drop(self, session, recipient):
        self.dropped.append(recipient)


@pytest.fixture()
def pending_only_new(session):
    """Events already in the outbox before the test (the seed's) are not the test's: mark them dispatched."""
    session.execute(update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
    session.commit()


def test_a_committed_change_has_its_event_without_personal_data(session, actor_for):
    with UnitOfWork(session) as uow:
        incident = report_merah(session, actor_for("petugas"))
        uow.commit()
    [event] = events_of(session, incident.id, EventKind.INCIDENT_REPORTED)
    assert event.entity_type == "health_incident" and event.dispatched_at is None
    assert event.data["triage"] == "merah" and event.data["medic_station_id"] == incident.medic_station_id
    assert "Siti" not in repr(event.data) and "sadar" not in repr(event.data)


def test_a_rolled_back_change_has_no_event(session, actor_for):
    before = session.scalar(select(func.count()).select_from(OutboxEvent))
    with pytest.raises(RuntimeError):
        with UnitOfWork(session):
            incident = report_merah(session, actor_for("petugas"))
            assert events_of(session, incident.id)  # raised, in the transaction...
            raise RuntimeError("the request failed after the service ran")
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) == before  # ...and gone with it
    assert session.scalar(select(func.count()).select_from(HealthIncident).where(HealthIncident.complaint == "pingsan")) == 0


def test_a_merah_is_told_to_the_medics_of_the_receiving_station_only(session, actor_for):
    with UnitOfWork(session) as uow:
        incident = report_merah(session, actor_for("petugas"))
        uow.commit()
    [event] = events_of(session, incident.id, EventKind.INCIDENT_REPORTED)
    medics = session.scalars(select(User.id).where(User.role == Role.MEDIC, User.active.is_(True),
                                                   User.medic_station_id == incident.medic_station_id)).all()
    assert audience(session, event) == sorted(medics) and medics
    # A medic whose account is deactivated hears nothing.
    session.execute(update(User).where(User.id == medics[0]).values(active=False))
    assert medics[0] not in audience(session, event)


def test_each_event_reaches_each_recipient_once(session, actor_for, pending_only_new):
    with UnitOfWork(session) as uow:
        incident = report_merah(session, actor_for("petugas"))
        uow.commit()
    [event] = events_of(session, incident.id, EventKind.INCIDENT_REPORTED)
    channel = Recording()
    report = outbox.deliver_pending(session, [channel])
    expected = [(event.id, str(user_id)) for user_id in audience(session, event)]
    assert channel.sent == expected and report.sent == len(expected)
    assert session.get(OutboxEvent, event.id).dispatched_at is not None
    # Another pass, or a pass that still sees the event (killed before marking it dispatched), sends nothing.
    session.execute(update(OutboxEvent).where(OutboxEvent.id == event.id).values(dispatched_at=None))
    session.commit()
    again = outbox.deliver_pending(session, [channel])
    assert channel.sent == expected and again.sent == 0 and again.dispatched == 1


def test_a_failed_send_is_retried_then_given_up(session, actor_for, pending_only_new, monkeypatch):
    monkeypatch.setattr(outbox, "RETRY_AFTER", timedelta(0))
    with UnitOfWork(session) as uow:
        incident = report_merah(session, actor_for("petugas"))
        uow.commit()
    [event] = events_of(session, incident.id, EventKind.INCIDENT_REPORTED)
    recipient = str(audience(session, event)[0])
    channel = Recording(fail={recipient})
    outbox.deliver_pending(session, [channel])
    row = session.scalar(select(EventDelivery).where(EventDelivery.event_id == event.id,
                                                     EventDelivery.recipient == recipient))
    assert (row.status, row.attempts) == ("failed", 1) and "unreachable" in row.last_error
    assert session.get(OutboxEvent, event.id).dispatched_at is None  # still owed
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        outbox.deliver_pending(session, [channel])
    session.refresh(row)
    assert row.attempts == outbox.MAX_ATTEMPTS
    assert session.get(OutboxEvent, event.id).dispatched_at is not None  # given up: not looked at forever
    channel.fail.clear()  # recovered, but the delivery was given up: not sent late
    outbox.deliver_pending(session, [channel])
    assert (event.id, recipient) not in channel.sent


def test_a_gone_recipient_is_dropped_not_retried(session, actor_for, pending_only_new):
    with UnitOfWork(session) as uow:
        incident = report_merah(session, actor_for("petugas"))
        uow.commit()
    [event] = events_of(session, incident.id, EventKind.INCIDENT_REPORTED)
    recipient = str(audience(session, event)[0])
    channel = Recording(gone={recipient})
    report = outbox.deliver_pending(session, [channel])
    assert channel.dropped == [recipient] and report.gone == 1
    status = session.scalar(select(EventDelivery.status).where(EventDelivery.event_id == event.id,
                                                                EventDelivery.recipient == recipient))
    assert status == "gone"


def test_a_dead_senders_claim_is_taken_over_after_the_timeout_only(session, actor_for, pending_only_new):
    with UnitOfWork(session) as uow:
        incident = report_merah(session, actor_for("petugas"))
        uow.commit()
    [event] = events_of(session, incident.id, EventKind.INCIDENT_REPORTED)
    recipient = str(audience(session, event)[0])
    # A worker claimed the delivery and was killed before recording the result.
    session.add(EventDelivery(event_id=event.id, channel="test", recipient=recipient, status="claimed",
                              attempts=1, claimed_at=utcnow()))
    session.commit()
    channel = Recording()
    outbox.deliver_pending(session, [channel])
    assert (event.id, recipient) not in channel.sent  # maybe still being sent: not a second time now
    session.execute(update(EventDelivery).where(EventDelivery.event_id == event.id, EventDelivery.recipient == recipient)
                    .values(claimed_at=utcnow() - outbox.CLAIM_TIMEOUT - timedelta(seconds=1)))
    session.commit()
    outbox.deliver_pending(session, [channel])
    assert channel.sent.count((event.id, recipient)) == 1


def test_a_merah_nobody_answers_raises_one_alert(session, actor_for):
    with UnitOfWork(session) as uow:
        incident = report_merah(session, actor_for("petugas"))
        uow.commit()
    later = utcnow() + timedelta(hours=1)
    day = (utcnow() - timedelta(hours=12), utcnow() + timedelta(hours=12))
    assert raise_due_alerts(session, later, *day) >= 1
    assert raise_due_alerts(session, later, *day) == 0
    [alert] = events_of(session, incident.id, EventKind.ALERT_RAISED)
    assert alert.data["alert"] == "merah_no_response" and alert.dedup_key == f"alert:merah_no_response:{incident.id}"
    coordinators = audience(session, alert)
    assert coordinators and set(session.scalars(select(User.role).where(User.id.in_(coordinators)))) == {Role.COORDINATOR}


def test_an_urgent_event_is_delivered_before_a_backlog_of_routine_ones(session, actor_for, pending_only_new):
    petugas = actor_for("petugas")
    with UnitOfWork(session) as uow:
        routine = [report_merah(session, petugas, triage="hijau") for _ in range(3)]
        merah = report_merah(session, petugas)
        uow.commit()
    [urgent] = events_of(session, merah.id, EventKind.INCIDENT_REPORTED)
    assert urgent.urgent and not any(e.urgent for r in routine for e in events_of(session, r.id))
    channel = Recording()
    outbox.deliver_pending(session, [channel], batch=2)  # room for two: the merah, then the oldest routine one
    assert channel.sent[0][0] == urgent.id
    assert {event_id for event_id, _ in channel.sent} == {urgent.id, events_of(session, routine[0].id)[0].id}
