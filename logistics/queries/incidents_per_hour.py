"""Health incidents per hour of the day (the deployment's zone), for the dashboard's chart."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import DrillClock, HealthIncident, Triage
from logistics.permissions.read_scope import incident_in_kecamatan
from logistics.queries.zones import deployment_zone, hour_offset, utc_hour


def incidents_per_hour(session: Session, day_start: datetime, day_end: datetime, kecamatan_ids=None,
                       drill: DrillClock | None = None) -> dict[str, list[int]]:
    """Per triage colour (its code), 24 counts, index = hour in the deployment's zone, of incidents that
    occurred in [day_start, day_end).

    During a drill the hour is the simulated day's (`drill`): played 30 times faster, the whole day's
    incidents fall in one or two wall-clock hours, which is no day's shape to train on."""
    in_day = (HealthIncident.occurred_at >= day_start, HealthIncident.occurred_at < day_end,
              *([] if kecamatan_ids is None else [incident_in_kecamatan(kecamatan_ids)]))
    counts, zone = {colour.value: [0] * 24 for colour in Triage}, deployment_zone(session)
    if drill is None:  # counted per hour in SQL (the nation's incidents, not read one by one)
        hour, offset = utc_hour(session, HealthIncident.occurred_at), hour_offset(zone, day_start)
        for utc, triage, n in session.execute(select(hour, HealthIncident.triage, func.count()).where(*in_day)
                                              .group_by(hour, HealthIncident.triage)):
            counts[triage.value][(int(utc) + offset) % 24] += n
        return counts
    for occurred_at, triage in session.execute(select(HealthIncident.occurred_at, HealthIncident.triage).where(*in_day)):
        hour = drill.simulated_hour(occurred_at)  # a drill's simulated day (the demo city's incidents)
        if hour is not None:
            counts[triage.value][hour] += 1
    return counts
