"""Which fields a record may carry in each status: a row never holds the fields of two end states
(a delivery both delivered and failed), nor the time of a step it has not reached.

The Python rule (`StatusFields.holds`) and its SQL twin (`StatusFields.sql`, the tables' CHECK
constraints, frozen in migrations 0007 and 0012) are made from the same table, which each lifecycle
(logistics.rules.lifecycles) derives from its steps and the columns each step sets.
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
