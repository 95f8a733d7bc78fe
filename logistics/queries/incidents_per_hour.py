"""Health incidents per hour of the day (WIB), for the dashboard's chart."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.models import HealthIncident
from logistics.queries.scope import incident_in_kecamatan
from logistics.timeutil import to_wib


def incidents_per_hour(session: Session, day_start: datetime, day_end: datetime, kecamatan_ids=None) -> list[int]:
    """24 counts, index = hour in WIB, of incidents that occurred in [day_start, day_end)."""
    query = select(HealthIncident.occurred_at).where(HealthIncident.occurred_at >= day_start,
                                                     HealthIncident.occurred_at < day_end)
    if kecamatan_ids is not None:
        query = query.where(incident_in_kecamatan(kecamatan_ids))
    counts = [0] * 24
    for occurred_at in session.scalars(query):
        counts[to_wib(occurred_at).hour] += 1
    return counts
