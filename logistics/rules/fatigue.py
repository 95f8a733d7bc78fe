"""Officer fatigue: hours on duty since the first post of the day."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

ALERT_AFTER = timedelta(hours=16)
ESCALATE_AFTER = timedelta(hours=20)


class FatigueLevel(str, enum.Enum):
    OK = "ok"
    ALERT = "alert"  # 16 hours: check on the team, bring food and water, plan relief
    ESCALATION = "escalation"  # 20 hours: a medic visits, the coordinator arranges relief now


def hours_on_duty(first_post: datetime | None, now: datetime, off_duty_at: datetime | None = None) -> timedelta:
    """Time on duty from the first post; it stops counting once the team went off duty
    (the ballot box handed to the PPS)."""
    if first_post is None:
        return timedelta(0)
    end = min(now, off_duty_at) if off_duty_at else now
    return max(end - first_post, timedelta(0))


def fatigue_level(on_duty: timedelta, alert_after: timedelta = ALERT_AFTER,
                  escalate_after: timedelta = ESCALATE_AFTER) -> FatigueLevel:
    if on_duty >= escalate_after:
        return FatigueLevel.ESCALATION
    if on_duty >= alert_after:
        return FatigueLevel.ALERT
    return FatigueLevel.OK


def on_duty_at_least_sql(first_post, now: datetime, off_duty_at, length: timedelta):
    """SQL twin of `hours_on_duty(first_post, now, off_duty_at) >= length` (length > 0): the first post is
    `length` before now, and the team was not off duty before `length` had passed. `first_post` may be an
    aggregate (MIN), so this goes in a HAVING; the column arithmetic is `logistics.queries.sql_time.plus`."""
    from sqlalchemy import and_, or_

    from logistics.queries.sql_time import plus

    return and_(first_post <= now - length, or_(off_duty_at.is_(None), off_duty_at >= plus(first_post, length)))
