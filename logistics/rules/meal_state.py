"""A TPS's meals of the day at a glance, for the map: late, short, arrived or nothing due yet."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.rules.lateness import GRACE, arrived_late, is_overdue


class MealState(str, enum.Enum):
    LATE = "late"  # a round overdue now, or one that arrived after its deadline
    SHORT = "short"  # a round received short of the planned portions, or failed
    ARRIVED = "arrived"  # every round due so far arrived on time and in full
    PENDING = "pending"  # no round due yet


@dataclass(frozen=True)
class MealRow:
    planned_at: datetime
    delivered: bool
    failed: bool
    delivered_at: datetime | None
    quantity_planned: int
    quantity_received: int | None


def meal_state(rows: list[MealRow], now: datetime, grace: timedelta = GRACE) -> MealState:
    """Worst first: waiting past the deadline beats short, short beats on time."""
    if any(is_overdue(r.planned_at, r.delivered or r.failed, now, grace)
           or arrived_late(r.planned_at, r.delivered_at, grace) for r in rows):
        return MealState.LATE
    if any(r.failed or (r.delivered and r.quantity_received is not None
                        and r.quantity_received < r.quantity_planned) for r in rows):
        return MealState.SHORT
    if any(r.delivered for r in rows):
        return MealState.ARRIVED
    return MealState.PENDING
