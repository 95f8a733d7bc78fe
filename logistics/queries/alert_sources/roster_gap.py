"""Medic stations open with nobody on duty (logistics.rules.roster: `opening_window`, `coverage_gaps`).

SQL twin of "the gap of `coverage_gaps(window, shifts)` that contains now": the station is open now (its
opening window on the election day, worked out per distinct pair of opening hours, of which there are
few), no shift covers now, and the gap runs from the latest shift end before now (or the window's start)
to the next shift start after now (or the window's end)."""
from __future__ import annotations

from sqlalchemy import and_, case, exists, func, literal, or_, select

from logistics.models import MedicStation, RosterShift
from logistics.models.base import UTCDateTime
from logistics.texts import lazy_gettext
from logistics.queries.alerts import Alert, alert_source
from logistics.rules.roster import opening_window
from logistics.timeutil import format_wib, to_wib


def build(row, moment, session) -> Alert:
    name, start, end = row["station_name"], row["since"], row["gap_end"]
    return Alert(kind="station_unstaffed", severity="high", since=start, kecamatan_id=row["kecamatan_id"],
                 refs={"medic_station_id": row["medic_station_id"]},
                 message=lazy_gettext("{station} tanpa petugas jaga ({start}–{end})", station=name,
                                      start=format_wib(start, "%H:%M"), end=format_wib(end, "%H:%M")))


@alert_source(build, {"station_unstaffed": lazy_gettext("Pos kesehatan tanpa petugas")})
def roster_gap(session, moment, kecamatan_ids):
    # The election day's opening window (which may run past midnight), not the calendar day of
    # `now`: on any other day nothing is rostered and every station would look unstaffed.
    day, now = to_wib(moment.day_start).date(), moment.now
    hours = session.execute(select(MedicStation.hours_from, MedicStation.hours_to).distinct()).all()
    windows = {pair: opening_window(day, *pair) for pair in hours}
    open_now = {pair: w for pair, w in windows.items() if w[0] <= now < w[1]}
    if not open_now:
        return None
    def per_window(edge: int):
        return case(*((and_(MedicStation.hours_from == f, MedicStation.hours_to == t), literal(w[edge], UTCDateTime))
                      for (f, t), w in open_now.items()), else_=literal(now, UTCDateTime))

    window_start, window_end = per_window(0), per_window(1)
    shift = RosterShift.medic_station_id == MedicStation.id
    last_end = (select(func.max(RosterShift.ends_at)).where(shift, RosterShift.ends_at <= now)
                .scalar_subquery())
    next_start = (select(func.min(RosterShift.starts_at)).where(shift, RosterShift.starts_at > now)
                  .scalar_subquery())
    since = case((and_(last_end.is_not(None), last_end > window_start), last_end), else_=window_start)
    gap_end = case((and_(next_start.is_not(None), next_start < window_end), next_start), else_=window_end)
    query = (select(literal("station_unstaffed").label("kind"), literal("high").label("severity"),
                    since.label("since"), gap_end.label("gap_end"),
                    MedicStation.kecamatan_id.label("kecamatan_id"), MedicStation.id.label("medic_station_id"),
                    MedicStation.name.label("station_name"))
             .where(or_(*(and_(MedicStation.hours_from == f, MedicStation.hours_to == t) for f, t in open_now)),
                    ~exists().where(shift, RosterShift.starts_at <= now, RosterShift.ends_at > now)))
    if kecamatan_ids is not None:
        query = query.where(MedicStation.kecamatan_id.in_(kecamatan_ids))
    return query
