"""Health incidents per hour of the day (the deployment's zone), for the dashboard's chart."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import DrillClock, HealthIncident, Triage
from logistics.permissions.read_scope import incident_in_kecamatan, incident_kecamatan
from logistics.queries.zones import deployment_zone, hour_offset, utc_hour


def incidents_per_hour(session: Session, day_start: datetime, day_end: datetime, kecamatan_ids=None,
                       drill: DrillClock | None = None) -> dict[str, list[int]]:
    """Per triage colour (its code), 24 counts, index = hour in the deployment's zone, of incidents that
    occurred in [day_start, day_end).

    A drill's incidents are stamped on its clock (the simulated moment: logistics/services/common.py
    `step_time`), so they are counted by the hours stored, as a real day's; `drill` changes nothing."""
    return _per_hour(session, day_start, day_end, kecamatan_ids, drill, None)[None]


def incidents_per_hour_per_kecamatan(session: Session, day_start: datetime, day_end: datetime,
                                     kecamatan_ids: Iterable[int], drill: DrillClock | None = None
                                     ) -> dict[int, dict[str, list[int]]]:
    """`incidents_per_hour(..., [k], drill)` for each kecamatan k of `kecamatan_ids`, counted together."""
    ids = list(kecamatan_ids)
    counted = _per_hour(session, day_start, day_end, ids, drill, incident_kecamatan())
    return {k: counted.get(k) or _empty() for k in ids}


def _empty() -> dict[str, list[int]]:
    return {colour.value: [0] * 24 for colour in Triage}


def _per_hour(session, day_start, day_end, kecamatan_ids, drill, kecamatan) -> dict:
    """The counts per value of `kecamatan` (an SQL expression, grouped on; None: one group, keyed None)."""
    in_day = (HealthIncident.occurred_at >= day_start, HealthIncident.occurred_at < day_end,
              *([] if kecamatan_ids is None else [incident_in_kecamatan(kecamatan_ids)]))
    keys = [] if kecamatan is None else [kecamatan]
    groups, zone = {None: _empty()} if kecamatan is None else {}, deployment_zone(session)

    def counts_of(row) -> dict[str, list[int]]:
        key = row[0] if keys else None
        if key not in groups:
            groups[key] = _empty()
        return groups[key]

    # Counted per hour in SQL (the nation's incidents, not read one by one).
    hour, offset = utc_hour(session, HealthIncident.occurred_at), hour_offset(zone, day_start)
    for row in session.execute(select(*keys, hour, HealthIncident.triage, func.count()).where(*in_day)
                               .group_by(*keys, hour, HealthIncident.triage)):
        utc, triage, n = row[len(keys):]
        counts_of(row)[triage.value][(int(utc) + offset) % 24] += n
    return groups
