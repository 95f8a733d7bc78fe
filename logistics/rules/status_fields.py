"""Which fields a record may carry in each status: a row never holds the fields of two end states
(a delivery both delivered and failed), nor the time of a step it has not reached.

The Python rule (`StatusFields.holds`) and its SQL twin (`StatusFields.sql`, the tables' CHECK
constraints, frozen in migration 0007) are made from the same table. Statuses are the enums'
string values, so the models can import this module without an import cycle.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class StatusFields:
    """`allowed_in`: column -> the statuses in which it may hold a value (NULL in all others);
    `required_in`: status -> the columns that must hold a value in it."""

    allowed_in: Mapping[str, tuple[str, ...]]
    required_in: Mapping[str, tuple[str, ...]]

    def holds(self, status, values: Mapping[str, object]) -> bool:
        """Whether a row in `status` (an enum or its value) with these column values fits."""
        status = getattr(status, "value", status)
        return (all(values.get(column) is None or status in statuses for column, statuses in self.allowed_in.items())
                and all(values.get(column) is not None for column in self.required_in.get(status, ())))

    def sql(self, status_column: str = "status") -> str:
        """The same rule as a CHECK constraint's condition."""
        parts = [f"({column} IS NULL OR {status_column} IN ({', '.join(repr(s) for s in statuses)}))"
                 for column, statuses in self.allowed_in.items()]
        parts += [f"({status_column} <> '{status}' OR {column} IS NOT NULL)"
                  for status, columns in self.required_in.items() for column in columns]
        return " AND ".join(parts)


DELIVERY_FIELDS = StatusFields(
    allowed_in={
        "dispatched_at": ("dispatched", "arrived", "delivered", "failed"),
        "arrived_at": ("arrived", "delivered", "failed"),
        "delivered_at": ("delivered",), "quantity_received": ("delivered",), "received_by": ("delivered",),
        "quantity_damaged": ("delivered",),
        "failed_at": ("failed",), "failure_reason": ("failed",),
    },
    required_in={"dispatched": ("dispatched_at",), "arrived": ("arrived_at",), "delivered": ("delivered_at", "quantity_received"),
                 "failed": ("failed_at",)},
)

# The day's steps in order and the column holding each step's time (the first status, setup, has none).
TPS_STEP_TIMES = {"open": "opened_at", "voting_closed": "voting_closed_at", "counted": "counted_at",
                  "handed_over": "handed_over_at"}
_TPS_STEPS = tuple(TPS_STEP_TIMES)
TPS_FIELDS = StatusFields(
    # A step's time exists from that step on (an earlier step an officer skipped stays empty, so a
    # correction back to a skipped step leaves the status without its time: none is required).
    allowed_in={column: _TPS_STEPS[i:] for i, column in enumerate(TPS_STEP_TIMES.values())},
    required_in={},
)

INCIDENT_STEP_TIMES = {"responding": "responding_at", "treated_on_site": "treated_at", "referred": "referred_at",
                       "closed": "closed_at"}
INCIDENT_FIELDS = StatusFields(
    # Treated on site may still be referred; any cared-for incident may be closed.
    allowed_in={
        "responding_at": ("responding", "treated_on_site", "referred", "closed"),
        "treated_at": ("treated_on_site", "referred", "closed"),
        "referred_at": ("referred", "closed"),
        "closed_at": ("closed",),
    },
    required_in={step: (column,) for step, column in INCIDENT_STEP_TIMES.items()},
)
