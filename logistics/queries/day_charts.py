"""What the dashboard's charts and the situation report draw, beyond the per-kecamatan figures: TPS steps
through the day, and the distribution of time to response and to care. Computed with the dashboard's other
figures (maps/dashboard.py, stored by siaga/shared_figures.py), so chart, table and report agree.

Hours are the election day's in the deployment's zone (WIB, WITA or WIT). A drill's steps are stamped on its
clock (logistics/services/common.py `step_time`: the simulated moment), so its hours and minutes of care are
read as stored, as a real day's; `drill` is kept for the callers and changes nothing."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import DrillClock, HealthIncident, Kelurahan, Tps
from logistics.permissions.read_scope import incident_in_kecamatan, incident_kecamatan, tps_in_scope
from logistics.rules.care_times import CARE_TIME_BINS, time_to_care, time_to_response
from logistics.queries.zones import deployment_zone, hour_offset, utc_hour
from logistics.timeutil import to_local

# The TPS day in order: officers present, open, voting closed, counted, handed over (the model's step times).
TPS_STEPS = (("present", Tps.officers_reported_at), ("open", Tps.opened_at), ("voting_closed", Tps.voting_closed_at),
             ("counted", Tps.counted_at), ("handed_over", Tps.handed_over_at))


def _hour(moment: datetime, zone) -> int:
    return to_local(moment, zone).hour


def tps_steps_per_hour(session: Session, now: datetime, day_start: datetime, day_end: datetime,
                       kecamatan_ids=None, drill: DrillClock | None = None) -> dict:
    """How many TPS had reached each step by the end of each hour, up to the current hour:
    {"hours": [0..now], step: [cumulative count per hour]}."""
    return _tps_steps(session, now, day_start, day_end, kecamatan_ids, drill, per_kecamatan=False)[None]


def _tps_steps(session, now, day_start, day_end, kecamatan_ids, drill, per_kecamatan: bool) -> dict:
    """The TPS steps per kecamatan (`per_kecamatan`, every one of `kecamatan_ids` keyed by its id), or of the
    whole scope (keyed None)."""
    zone = deployment_zone(session)
    groups: dict = {k: None for k in kecamatan_ids} if per_kecamatan else {None: None}

    def per_hour_of(key) -> dict:
        if groups.get(key) is None:
            groups[key] = {name: [0] * 24 for name, _ in TPS_STEPS}
        return groups[key]

    if per_kecamatan:  # the TPS with their kecamatan (a kota's kecamatan computed together)
        keys = [Kelurahan.kecamatan_id]

        def scoped(query):
            return (query.select_from(Tps).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
                    .where(Kelurahan.kecamatan_id.in_(list(kecamatan_ids))))
    else:
        keys, scope = [], tps_in_scope(kecamatan_ids)

        def scoped(query):
            return query if scope is None else query.where(scope)
    # Counted per hour in SQL, one grouped statement per step: the nation's 820,000 TPS read row by row
    # took a minute (docs/PERFORMANCE.md). The database gives the UTC hour; Indonesia's zones are whole
    # hours ahead of UTC all year (no summer time), so the local hour is that plus the zone's offset.
    offset = hour_offset(zone, day_start)
    for name, column in TPS_STEPS:
        hour = utc_hour(session, column)
        query = select(*keys, hour, func.count()).where(column >= day_start, column < day_end)
        for row in session.execute(scoped(query).group_by(*keys, hour)):
            utc, n = row[len(keys):]
            per_hour_of(row[0] if keys else None)[name][(int(utc) + offset) % 24] += n
    last = _hour(now, zone) if day_start <= now < day_end else 23
    return {key: _cumulative(per_hour_of(key), last) for key in groups}


def _cumulative(per_hour: dict, last: int) -> dict:
    result: dict = {"hours": list(range(last + 1))}
    for name, counts in per_hour.items():
        running, cumulative = 0, []
        for hour in range(last + 1):
            running += counts[hour]
            cumulative.append(running)
        result[name] = cumulative
    return result


def care_time_distribution(session: Session, day_start: datetime, day_end: datetime, kecamatan_ids=None,
                           drill: DrillClock | None = None) -> dict:
    """Incidents of the day counted per bin of minutes (`CARE_TIME_BINS`: a bin is [edge, next edge), the
    last open-ended), from report to response and from report to care (rules/care_times.py)."""
    return _care_times(session, day_start, day_end, kecamatan_ids, drill, None)[None]


def _care_times(session, day_start, day_end, kecamatan_ids, drill, kecamatan) -> dict:
    """The distribution per value of `kecamatan` (an SQL expression; None: one, keyed None)."""
    keys = [] if kecamatan is None else [kecamatan]
    query = select(*keys, HealthIncident.reported_at, HealthIncident.responding_at, HealthIncident.treated_at,
                   HealthIncident.referred_at).where(HealthIncident.occurred_at >= day_start,
                                                     HealthIncident.occurred_at < day_end)
    scope = incident_in_kecamatan(kecamatan_ids)
    if scope is not None:
        query = query.where(scope)
    groups: dict = {None: None} if kecamatan is None else {k: None for k in kecamatan_ids}

    def bins_of(key):
        if groups.get(key) is None:
            groups[key] = ([0] * len(CARE_TIME_BINS), [0] * len(CARE_TIME_BINS))
        return groups[key]

    for row in session.execute(query):
        reported, responding, treated, referred = row[len(keys):]
        response, care = bins_of(row[0] if keys else None)
        for counts, minutes in ((response, time_to_response(reported, responding)),
                                (care, time_to_care(reported, treated, referred))):
            if minutes is not None:
                counts[_bin(minutes)] += 1
    return {key: {"edges": list(CARE_TIME_BINS), "response": bins_of(key)[0], "care": bins_of(key)[1]}
            for key in groups}


def _bin(minutes: float) -> int:
    return max(i for i, edge in enumerate(CARE_TIME_BINS) if minutes >= edge)


def day_chart_figures(session: Session, now: datetime, day_start: datetime, day_end: datetime, kecamatan_ids=None,
                      drill: DrillClock | None = None) -> dict:
    """The charts' own figures, stored with the dashboard's (maps/dashboard.py `_figures`)."""
    return {"tps_steps": tps_steps_per_hour(session, now, day_start, day_end, kecamatan_ids, drill),
            "care_times": care_time_distribution(session, day_start, day_end, kecamatan_ids, drill),
            "response_target": _response_target(session)}


def day_chart_figures_per_kecamatan(session: Session, now: datetime, day_start: datetime, day_end: datetime,
                                    kecamatan_ids: Iterable[int], drill: DrillClock | None = None) -> dict[int, dict]:
    """`day_chart_figures(..., [k], drill)` for each kecamatan k of `kecamatan_ids`, counted together."""
    ids = list(kecamatan_ids)
    steps = _tps_steps(session, now, day_start, day_end, ids, drill, per_kecamatan=True)
    care = _care_times(session, day_start, day_end, ids, drill, incident_kecamatan())
    target = _response_target(session)
    return {k: {"tps_steps": steps[k], "care_times": care[k], "response_target": target} for k in ids}


def _response_target(session: Session) -> int:
    from logistics.settings import settings_for

    return int(settings_for(session).merah_response.total_seconds() // 60)
