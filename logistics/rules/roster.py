"""Medic rosters: who is on duty, and the gaps when nobody is."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from logistics.rules.time_zones import WIB, AreaZone
from logistics.timeutil import local_at


def opening_window(day: date, hours_from: time, hours_to: time, zone: AreaZone = WIB) -> tuple[datetime, datetime]:
    """A station's service window for `day` in UTC, its hours in its area's `zone`; `hours_to` before
    `hours_from` runs past midnight."""
    start = local_at(day, hours_from, zone)
    end = local_at(day + timedelta(days=1) if hours_to <= hours_from else day, hours_to, zone)
    return start, end


def on_duty(shifts: Iterable[tuple[datetime, datetime]], at: datetime) -> bool:
    return any(start <= at < end for start, end in shifts)


def coverage_gaps(window: tuple[datetime, datetime],
                  shifts: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The parts of `window` that no shift covers, in time order."""
    start, end = window
    gaps = []
    cursor = start
    for s, e in sorted(shifts):
        if e <= cursor or s >= end:
            continue
        if s > cursor:
            gaps.append((cursor, min(s, end)))
        cursor = max(cursor, e)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return gaps
