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


# The distribution's bins in minutes (the dashboard's chart and the situation report): a bin is
# [edge, next edge), the last is open-ended. 5-minute steps near the targets, wider after.
CARE_TIME_BINS = (0, 5, 10, 15, 20, 30, 45, 60, 90)
# Target from report to care (treated on site or referred) for a merah. The response target is the
# election setting `merah_response` (logistics/settings.py); this one is not a setting yet.
CARE_TARGET_MINUTES = 30
