"""Domain events: what happened, raised by the services, stored in the outbox with the change.

A service calls `raise_event(session, Event(...))` after the change it made; the event is one Core INSERT
into `outbox_event` in the session's transaction (like an audit entry), so it commits or rolls back with
the change, savepoints included: a committed post always has its events, a rolled-back one has none.
The worker (siaga/worker.py) delivers them.

An event's `data` holds ids and codes only: the channels decide who hears of it from them and say what
happened and what to open, never a name or a complaint (personal data stays out of push payloads).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlalchemy import insert
from sqlalchemy.orm import Session

from logistics.models.outbox import OutboxEvent
from logistics.queries.sql_upsert import upsert_insert
from logistics.timeutil import utcnow


class EventKind(str, enum.Enum):
    INCIDENT_REPORTED = "incident.reported"      # data: triage, status, medic_station_id, tps_id
    INCIDENT_STEPPED = "incident.stepped"        # data: status (responding, treated_on_site, referred), ...
    INCIDENT_REASSIGNED = "incident.reassigned"  # data: medic_station_id (the new one), previous_station_id
    INCIDENT_CLOSED = "incident.closed"
    INCIDENT_REOPENED = "incident.reopened"      # a closing corrected: data: status (the step it is back at)
    DELIVERY_DISPATCHED = "delivery.dispatched"  # data: tps_id, courier_id, kind, round
    DELIVERY_ARRIVED = "delivery.arrived"        # the courier's "sampai": the TPS is asked to confirm
    DELIVERY_RECEIVED = "delivery.received"
    DELIVERY_SHORT = "delivery.short"            # received, fewer than sent
    DELIVERY_NOT_COMING = "delivery.not_coming"  # failed
    ROUTE_CHANGED = "route.changed"              # data: courier_id; a courier's stops or times changed
    TPS_STEPPED = "tps.stepped"                  # data: status
    BELOW_QUORUM = "tps.below_quorum"            # data: officers_present, quorum
    ALERT_RAISED = "alert.raised"                # data: alert (its kind), severity; raised by the worker's scan


# Events that put an incident on a medic station's list (its medics are told; a merah one is urgent).
TO_STATION = frozenset({EventKind.INCIDENT_REPORTED, EventKind.INCIDENT_REASSIGNED, EventKind.INCIDENT_REOPENED})
# Alerts that wake a coordinator (the rest stay on the dashboard).
CRITICAL_ALERTS = frozenset({"merah_no_response", "below_quorum", "meal_not_coming"})


def is_urgent(kind: EventKind | str, data: dict) -> bool:
    """An event someone must act on now: a merah reported or sent to another station, a merah without
    response, officers below quorum, a meal not coming. The worker delivers these first, and a push of one
    asks the phone to wake (RFC 8030 Urgency: high)."""
    kind = EventKind(kind)
    return (data.get("triage") == "merah" and kind in TO_STATION) or \
        kind in (EventKind.BELOW_QUORUM, EventKind.DELIVERY_NOT_COMING) or \
        (kind == EventKind.ALERT_RAISED and data.get("alert") in CRITICAL_ALERTS)


@dataclass(frozen=True)
class Event:
    kind: EventKind
    entity_type: str  # the record's table: "health_incident", "delivery", "tps"
    entity_id: int
    kecamatan_id: int | None = None
    data: dict = field(default_factory=dict)
    dedup_key: str | None = None  # raised at most once per key (see OutboxEvent.dedup_key)


_INSERT = insert(OutboxEvent.__table__)


def raise_event(session: Session, event: Event) -> None:
    """Record the event in the session's transaction (it is delivered only if that commits)."""
    session.execute(_INSERT, _row(event))


def dedup_insert(session: Session, event: Event) -> int:
    """Record an event that carries a dedup key unless one with that key exists; 1 if it was new."""
    statement = (upsert_insert(session)(OutboxEvent.__table__).values(_row(event))
                 .on_conflict_do_nothing(index_elements=["dedup_key"]).returning(OutboxEvent.id))
    # RETURNING rather than rowcount: the drivers disagree on rowcount for an INSERT that did nothing.
    return len(session.execute(statement).all())


def _row(event: Event) -> dict:
    return {"kind": event.kind.value, "entity_type": event.entity_type, "entity_id": event.entity_id,
            "kecamatan_id": event.kecamatan_id, "data": dict(event.data), "dedup_key": event.dedup_key,
            "urgent": is_urgent(event.kind, event.data), "occurred_at": utcnow(), "dispatched_at": None}
