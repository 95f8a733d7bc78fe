"""The time zones of the areas stored (`logistics.rules.time_zones` says which zone a code keeps).

- `deployment_zone`: the clock of pages and commands that show no particular area (the first kota stored,
  as the home page and map open on it); WIB while no area is stored.
- `day_window`: a calendar day over every zone in use, from its 00:00 in the easternmost to its 24:00 in
  the westernmost, so a WIT area's early morning and a WIB area's late night both fall within it.
- `per_zone`: a SQL CASE on an area's code giving each zone its own value (a deadline, a zone's name), so
  one query judges TPS of several zones each on its own clock."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, scoped_session

from logistics.models import Kota
from logistics.rules.time_zones import PROVINCE_ZONE, WIB, ZONES, AreaZone, zone_of
from logistics.timeutil import local_day


def deployment_zone(session: Session) -> AreaZone:
    return _zones(session)[0]


def zones_in_use(session: Session) -> list[AreaZone]:
    return _zones(session)[1]


def _zones(session: Session) -> tuple[AreaZone, list[AreaZone]]:
    """(the first kota's zone, the zones in use west to east), read once per transaction (alert messages
    ask per row); a long-lived session (the worker's) sees a new area after its next commit."""
    transaction = (session() if isinstance(session, scoped_session) else session).get_transaction()
    cached = session.info.get("area_zones")
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    # One query: each province prefix in use, each row beside the first kota's code.
    first_code = select(Kota.kode_kemendagri).order_by(Kota.id).limit(1).scalar_subquery()
    rows = session.execute(select(func.substr(Kota.kode_kemendagri, 1, 2), first_code).distinct()).all()
    if not rows:
        return WIB, [WIB]
    first, prefixes = rows[0][1], [prefix for prefix, _first in rows]
    in_use = {PROVINCE_ZONE[p] for p in prefixes if p in PROVINCE_ZONE}
    zones = (zone_of(first), [z for z in ZONES.values() if z in in_use] or [WIB])
    session.info["area_zones"] = (transaction, zones)
    return zones


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
