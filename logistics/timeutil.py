"""Time helpers: everything is stored in UTC and shown in WIB (Asia/Jakarta)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; naive datetimes are refused, they are ambiguous."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: give a timezone (UTC or WIB)")
    return value.astimezone(timezone.utc)


def to_wib(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value).astimezone(WIB)


def wib(day: date, at: time) -> datetime:
    """A wall-clock time in WIB on `day`, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=WIB).astimezone(timezone.utc)


def wib_day(day: date) -> tuple[datetime, datetime]:
    """The calendar day `day` in WIB, 00:00 to 24:00, as aware UTC [start, end)."""
    return wib(day, time(0)), wib(day + timedelta(days=1), time(0))


def format_wib(value: datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """Format for people: `27-08-2025 07:05 WIB`; an em dash when there is no time."""
    return "—" if value is None else to_wib(value).strftime(fmt) + " WIB"
