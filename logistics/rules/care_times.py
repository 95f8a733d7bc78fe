"""Time-to-response and time-to-care of a health incident, in whole minutes."""
from __future__ import annotations

from datetime import datetime


def minutes_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(int((end - start).total_seconds() // 60), 0)


def time_to_response(reported_at: datetime, responding_at: datetime | None) -> int | None:
    """Report to a medic responding."""
    return minutes_between(reported_at, responding_at)


def time_to_care(reported_at: datetime, treated_at: datetime | None, referred_at: datetime | None) -> int | None:
    """Report to the patient treated on site or referred, whichever came first."""
    done = [t for t in (treated_at, referred_at) if t is not None]
    return minutes_between(reported_at, min(done)) if done else None
