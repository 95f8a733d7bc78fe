"""When a delivery counts as late."""
from __future__ import annotations

from datetime import datetime, timedelta

# A meal round not delivered 30 minutes after its planned time is late (dashboard alert rule).
GRACE = timedelta(minutes=30)


def deadline(planned_at: datetime, grace: timedelta = GRACE) -> datetime:
    return planned_at + grace


def is_overdue(planned_at: datetime, delivered_or_failed: bool, now: datetime, grace: timedelta = GRACE) -> bool:
    """Still not delivered (nor reported failed) and past its deadline."""
    return not delivered_or_failed and now > deadline(planned_at, grace)


def arrived_late(planned_at: datetime, delivered_at: datetime | None, grace: timedelta = GRACE) -> bool:
    return delivered_at is not None and delivered_at > deadline(planned_at, grace)


def is_at_risk(planned_at: datetime, eta_at: datetime | None, delivered_or_failed: bool) -> bool:
    """Still on its way, and the courier's estimated arrival is after the planned time."""
    return not delivered_or_failed and eta_at is not None and eta_at > planned_at


def eta_from_now(eta_at: datetime | None, now: datetime) -> datetime | None:
    """The estimate a courier is shown for a stop not reached yet: never in the past (a stop not reached
    is reached now at the earliest; whether that is late is `is_overdue`'s, at the planned time + grace)."""
    return None if eta_at is None else max(eta_at, now)


# --- SQL twins (SQLAlchemy expressions over the caller's columns; `reached` is "delivered or failed") ---

def is_overdue_sql(planned_at, reached, now: datetime, grace: timedelta = GRACE):
    """`is_overdue` in SQL: not reached and now > planned_at + grace (i.e. planned_at < now - grace)."""
    from sqlalchemy import and_, not_

    return and_(not_(reached), planned_at < now - grace)


def is_at_risk_sql(planned_at, eta_at, reached):
    """`is_at_risk` in SQL."""
    from sqlalchemy import and_, not_

    return and_(not_(reached), eta_at.is_not(None), eta_at > planned_at)
