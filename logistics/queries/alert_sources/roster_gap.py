"""Medic stations open with nobody on duty."""
from __future__ import annotations

from sqlalchemy import select

from logistics.models import MedicStation, RosterShift
from logistics.queries.alerts import Alert, alert_source
from logistics.rules.roster import coverage_gaps, opening_window
from logistics.timeutil import format_wib, to_wib


@alert_source
def roster_gap_alerts(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]:
    query = select(MedicStation)
    if kecamatan_ids is not None:
        query = query.where(MedicStation.kecamatan_id.in_(kecamatan_ids))
    stations = session.scalars(query).all()
    # The election day's opening window (which may run past midnight), not the calendar day of
    # `now`: on any other day nothing is rostered and every station would look unstaffed.
    day = to_wib(day_start).date()
    alerts = []
    for station in stations:
        for window in (opening_window(day, station.hours_from, station.hours_to),):
            if not window[0] <= now < window[1]:
                continue
            shifts = session.execute(select(RosterShift.starts_at, RosterShift.ends_at).where(
                RosterShift.medic_station_id == station.id, RosterShift.ends_at > window[0],
                RosterShift.starts_at < window[1])).all()
            gap = next((g for g in coverage_gaps(window, shifts) if g[0] <= now < g[1]), None)
            if gap is not None:
                alerts.append(Alert(
                    kind="station_unstaffed", severity="high", since=gap[0], kecamatan_id=station.kecamatan_id,
                    refs={"medic_station_id": station.id},
                    message_id=f"{station.name} tanpa petugas jaga ({format_wib(gap[0], '%H:%M')}–"
                               f"{format_wib(gap[1], '%H:%M')})",
                    message_en=f"{station.name} has nobody on duty ({format_wib(gap[0], '%H:%M')}–"
                               f"{format_wib(gap[1], '%H:%M')})",
                ))
    return alerts
