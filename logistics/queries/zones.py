"""The time zones of the areas stored (`logistics.rules.time_zones` says which zone a code keeps).

- `deployment_zone`: the clock of pages and commands that show no particular area: the zone all areas
  stored keep, WIB when they keep several (every time shown names its zone) or none is stored. A reader
  with an area sees their area's (`logistics.queries.scope_areas.scope_zone`, `siaga.election.local_zone`).
- `day_window`: a calendar day over every zone in use, from its 00:00 in the easternmost to its 24:00 in
  the westernmost, so a WIT area's early morning and a WIB area's late night both fall within it.
- `utc_hour` / `hour_offset`: an hour of the day counted in SQL (grouped by the UTC hour) and moved to a
  zone's clock: Indonesia's zones are whole hours ahead of UTC all year (no summer time).
- `per_zone`: a SQL CASE on an area's code giving each zone its own value (a deadline, a zone's name), so
  one query judges TPS of several zones each on its own clock."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, extract, func, literal, select
from sqlalchemy.orm import Session, scoped_session

from logistics.models import Kota
from logistics.queries.kept import Kept
from logistics.rules.time_zones import PROVINCE_ZONE, WIB, ZONES, AreaZone
from logistics.timeutil import local_day


_kept = Kept("kota")


def deployment_zone(session: Session) -> AreaZone:
    return _zones(session)[0]


def zones_in_use(session: Session) -> list[AreaZone]:
    return _zones(session)[1]


def _zones(session: Session) -> tuple[AreaZone, list[AreaZone]]:
    """(the deployment's zone, the zones in use west to east), read once per transaction (alert messages
    ask per row; per process under the `kota` version when a live page read it: logistics/queries/kept.py); a
    long-lived session (the worker's) sees a new area after its next commit."""
    transaction = (session() if isinstance(session, scoped_session) else session).get_transaction()
    cached = session.info.get("area_zones")
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    zones = _kept.get(session, None, lambda: _read(session))
    session.info["area_zones"] = (transaction, zones)
    return zones


def _read(session: Session) -> tuple[AreaZone, list[AreaZone]]:
    prefixes = session.scalars(select(func.substr(Kota.kode_kemendagri, 1, 2)).distinct()).all()
    in_use = [z for z in ZONES.values() if z in {PROVINCE_ZONE[p] for p in prefixes if p in PROVINCE_ZONE}] or [WIB]
    return in_use[0] if len(in_use) == 1 else WIB, in_use


def day_window(session: Session, day: date) -> tuple[datetime, datetime]:
    windows = [local_day(day, zone) for zone in zones_in_use(session)]
    return min(w[0] for w in windows), max(w[1] for w in windows)


def in_zone(code_column, zone: AreaZone):
    """SQL: the area with this code keeps `zone`'s clock."""
    return func.substr(code_column, 1, 2).in_([p for p, z in PROVINCE_ZONE.items() if z == zone])


def per_zone(code_column, values: Mapping[AreaZone, Any], type_=None, *, one_zone_in_use: bool = False):
    """CASE on the province part of `code_column` (any area's Kemendagri code): `values[zone]` for each
    zone's provinces, NULL for the others. When `values` holds the one zone in use, it is that value,
    no CASE."""
    def value(v):
        return literal(v, type_) if type_ is not None else literal(v)

    if one_zone_in_use and len(values) == 1:
        return value(next(iter(values.values())))
    return case(*((in_zone(code_column, zone), value(v)) for zone, v in values.items()), else_=None)


def utc_hour(session: Session, column):
    """SQL: the UTC hour (0-23) of a stored time. PostgreSQL's `timestamptz` is read in the session's
    TimeZone, so it is asked in UTC; SQLite stores UTC already (logistics/models/base.py `UTCDateTime`)."""
    if session.get_bind().dialect.name == "postgresql":
        column = func.timezone("UTC", column)
    return extract("hour", column)


def hour_offset(zone: AreaZone, at: datetime) -> int:
    """Whole hours `zone` is ahead of UTC at `at`: a UTC hour h is `(h + offset) % 24` on its clock."""
    return int(at.astimezone(zone.tz).utcoffset().total_seconds() // 3600)
