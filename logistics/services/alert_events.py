"""Time-based alerts become events: a condition that starts by itself (a merah nobody answered in time) is
found by the worker's scan and raised once, so the channels wake the people who must act.

Alerts that a change raises (officers below quorum, a meal not coming) are raised by their service with the
change; the scan covers the sources no post triggers. Each alert is raised at most once: its event carries
a dedup key (`alert:<kind>:<record id>`), and an INSERT that meets the key is skipped.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from logistics.events import Event, EventKind, dedup_insert
from logistics.queries.alerts import Moment, sources

# The sources the scan raises events for: critical, and started by the clock rather than by a post.
SCANNED = ("merah_no_response",)
# Which ref names the record each scanned source's alert is about.
_SUBJECT = {"merah_no_response": ("health_incident", "incident_id")}


def raise_due_alerts(session: Session, now: datetime, day_start: datetime, day_end: datetime) -> int:
    """Raise an event for each scanned alert not raised before; commits; returns how many were new."""
    moment, raised = Moment(now, day_start, day_end), 0
    for source in sources():
        if source.name not in SCANNED:
            continue
        query = source.query(session, moment, None)
        if query is None:
            continue
        entity_type, ref = _SUBJECT[source.name]
        for row in session.execute(query).mappings():
            alert = source.build(row, moment, session)
            entity_id = alert.refs[ref]
            raised += dedup_insert(session, Event(
                EventKind.ALERT_RAISED, entity_type, entity_id, alert.kecamatan_id,
                {"alert": alert.kind, "severity": alert.severity, "tps_id": alert.tps_id, **alert.refs},
                dedup_key=f"alert:{alert.kind}:{entity_id}"))
    session.commit()
    return raised
