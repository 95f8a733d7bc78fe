"""Medic stations open with nobody on duty (logistics.rules.roster: `opening_window`, `coverage_gaps`).

SQL twin of "the gap of `coverage_gaps(window, shifts)` that contains now": the station is open now (its
opening window on the election day, worked out per distinct pair of opening hours, of which there are
few), no shift covers now, and the gap runs from the latest shift end before now (or the window's start)
to the next shift start after now (or the window's end)."""
from __future__ import annotations

from sqlalchemy import and_, case, exists, func, literal, or_, select

from logistics.models import Kecamatan, MedicStation, RosterShift
from logistics.models.base import UTCDateTime
from logistics.texts import lazy_gettext
from logistics.queries.alerts import Alert, alert_source
from logistics.rules.roster import opening_window
from logistics.queries.zones import in_zone, per_zone, zones_in_use
from logistics.rules.time_zones import ZONES
from logistics.timeutil import format_local


def build(row, moment, session) -> Alert:
    name, start, end, zone = row["station_name"], row["since"], row["gap_end"], ZONES[row["zone"]]
    return Alert(kind="station_unstaffed", severity="high", since=start, kecamatan_id=row["kecamatan_id"],
                 refs={"medic_station_id": row["medic_station_id"]},
                 message=lazy_gettext("{station} tanpa petugas jaga ({start}–{end})", station=name,
                                      start=format_local(start, "%H:%M", zone), end=format_local(end, "%H:%M", zone)))


@alert_source(build, {"station_unstaffed": lazy_gettext("Pos kesehatan tanpa petugas")})
def roster_gap(session, moment, kecamatan_ids):
    # The election day's opening window (which may run past midnight), not the calendar day of
    # `now`: on any other day nothing is rostered and every station would look unstaffed.
    # Each station's hours are on its own area's clock: a window per (hours, zone) in use.
    day, now, zones = moment.day, moment.now, zones_in_use(session)
    hours = session.execute(select(MedicStation.hours_from, MedicStation.hours_to).distinct()).all()
    windows = {(f, t, zone): opening_window(day, f, t, zone) for f, t in hours for zone in zones}
    open_now = {key: w for key, w in windows.items() if w[0] <= now < w[1]}
    if not open_now:
        return None
    code = Kecamatan.kode_kemendagri

    def matches(f, t, zone):
        same_hours = and_(MedicStation.hours_from == f, MedicStation.hours_to == t)
        return same_hours if len(zones) == 1 else and_(same_hours, in_zone(code, zone))

    def per_window(edge: int):
        return case(*((matches(*key), literal(w[edge], UTCDateTime)) for key, w in open_now.items()),
                    else_=literal(now, UTCDateTime))

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
                    MedicStation.name.label("station_name"), per_zone(code, {z: z.name for z in zones}, one_zone_in_use=len(zones) == 1).label("zone"))
             .join(Kecamatan, MedicStation.kecamatan_id == Kecamatan.id)
             .where(or_(*(matches(*key) for key in open_now)),
                    ~exists().where(shift, RosterShift.starts_at <= now, RosterShift.ends_at > now)))
    if kecamatan_ids is not None:
        query = query.where(MedicStation.kecamatan_id.in_(kecamatan_ids))
    return query
