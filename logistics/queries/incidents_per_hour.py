"""Health incidents per hour of the day (WIB), for the dashboard's chart."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.models import DrillClock, HealthIncident, Triage
from logistics.permissions.read_scope import incident_in_kecamatan
from logistics.queries.zones import deployment_zone
from logistics.timeutil import to_local


def incidents_per_hour(session: Session, day_start: datetime, day_end: datetime, kecamatan_ids=None,
                       drill: DrillClock | None = None) -> dict[str, list[int]]:
    """Per triage colour (its code), 24 counts, index = hour in the deployment's zone, of incidents that
    occurred in [day_start, day_end).

    During a drill the hour is the simulated day's (`drill`): played 30 times faster, the whole day's
    incidents fall in one or two wall-clock hours, which is no day's shape to train on."""
    query = select(HealthIncident.occurred_at, HealthIncident.triage).where(HealthIncident.occurred_at >= day_start,
                                                     HealthIncident.occurred_at < day_end)
    if kecamatan_ids is not None:
        query = query.where(incident_in_kecamatan(kecamatan_ids))
    counts, zone = {colour.value: [0] * 24 for colour in Triage}, deployment_zone(session)
    for occurred_at, triage in session.execute(query):
        hour = to_local(occurred_at, zone).hour if drill is None else drill.simulated_hour(occurred_at)
        if hour is not None:
            counts[triage.value][hour] += 1
    return counts
