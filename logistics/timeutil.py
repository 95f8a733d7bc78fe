"""Time helpers: everything is stored in UTC and shown in the area's own zone (WIB, WITA or WIT,
`logistics.rules.time_zones`). Every function takes the zone; WIB is the default for callers that have
no area (a one-zone deployment's own zone comes from `logistics.queries.zones.deployment_zone`)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from logistics.rules import time_zones
from logistics.rules.time_zones import AreaZone

_WIB = time_zones.WIB


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; naive datetimes are refused, they are ambiguous."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: give a timezone (UTC or the area's zone)")
    return value.astimezone(timezone.utc)


def to_local(value: datetime | None, zone: AreaZone = _WIB) -> datetime | None:
    return None if value is None else as_utc(value).astimezone(zone.tz)


def local_at(day: date, at: time, zone: AreaZone = _WIB) -> datetime:
    """A wall-clock time in `zone` on `day`, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=zone.tz).astimezone(timezone.utc)


def local_day(day: date, zone: AreaZone = _WIB) -> tuple[datetime, datetime]:
    """The calendar day `day` in `zone`, 00:00 to 24:00, as aware UTC [start, end)."""
    return local_at(day, time(0), zone), local_at(day + timedelta(days=1), time(0), zone)


def format_local(value: datetime | None, fmt: str = "%d-%m-%Y %H:%M", zone: AreaZone = _WIB) -> str:
    """Format for people with the zone's name: `27-08-2025 07:05 WIT`; an em dash when there is no time."""
    return "—" if value is None else to_local(value, zone).strftime(fmt) + " " + zone.name

