"""A TPS's meals of the day at a glance, for the map: late, short, arrived or nothing due yet.

"Late" is the delivery lifecycle's (logistics.rules.lifecycles.delivery.is_late), the one the dashboard's
figures and alerts use, so the map's meal mode and the dashboard agree on every TPS at any clock.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.rules.lifecycles.delivery import GRACE, REACHED, DeliveryStatus, is_late, shortfall


class MealState(str, enum.Enum):
    LATE = "late"  # a round late now: not reached past its deadline
    SHORT = "short"  # a round received short of the planned portions, or failed
    ARRIVED = "arrived"  # a round reached (there or received), none late or short
    PENDING = "pending"  # no round reached yet, none late


@dataclass(frozen=True)
class MealRow:
    planned_at: datetime
    status: DeliveryStatus
    quantity_planned: int
    quantity_received: int | None


def meal_state(rows: list[MealRow], now: datetime, grace: timedelta = GRACE) -> MealState:
    """Worst first: late beats short, short beats arrived."""
    if any(is_late(r.status, r.planned_at, now, grace) for r in rows):
        return MealState.LATE
    if any(r.status == DeliveryStatus.FAILED or shortfall(r.status, r.quantity_planned, r.quantity_received)
           for r in rows):
        return MealState.SHORT
    if any(r.status in REACHED for r in rows):
        return MealState.ARRIVED
    return MealState.PENDING
