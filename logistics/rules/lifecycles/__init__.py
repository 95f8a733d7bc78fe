"""One module per record with a lifecycle (`tps_day`, `delivery`, `incident`): its states and their labels,
the steps allowed from each, its end states, the columns each step sets (the first: the step's time), and
what its words mean ("reached", "done", "late"). Everything else is derived from them: the tables' CHECK
constraints (`Lifecycle.fields`), the services' steps and corrections, the drill's wipe, the alert and
summary queries, the map, the API and the pages. Pure: no database, no Flask.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, TypeVar

from logistics.rules.status_fields import StatusFields

S = TypeVar("S", bound=enum.Enum)


@dataclass(frozen=True)
class Lifecycle(Generic[S]):
    """`steps`: state -> the states it may move to (none: an end state); `step_columns`: state -> the
    columns the step into it sets, its time first; `required`: state -> the columns (of its own step's)
    that must hold a value in it. A step's columns may hold a value in its state and every state after it."""

    states: type[S]
    steps: Mapping[S, frozenset[S]]
    step_columns: Mapping[S, tuple[str, ...]]
    required: Mapping[S, tuple[str, ...]] = field(default_factory=dict)

    @property
    def start(self) -> S:
        return next(iter(self.states))

    @cached_property
    def end_states(self) -> frozenset[S]:
        return frozenset(s for s, nxt in self.steps.items() if not nxt)

    def may_move(self, current: S, target: S) -> bool:
        return target in self.steps[current]

    def after(self, state: S) -> tuple[S, ...]:
        """Every state reachable from `state` by steps, in the order the enum states them."""
        seen: set[S] = set()
        todo = [state]
        while todo:
            for nxt in self.steps[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return tuple(s for s in self.states if s in seen)

    def step_time(self, state: S) -> str | None:
        """The column holding the time of the step into `state` (the first state has none)."""
        columns = self.step_columns.get(state)
        return columns[0] if columns else None

    @cached_property
    def step_times(self) -> dict[S, str]:
        return {state: columns[0] for state, columns in self.step_columns.items()}

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """Every column a step sets: what going back to the first state clears."""
        return tuple(c for columns in self.step_columns.values() for c in columns)

    @cached_property
    def fields(self) -> StatusFields:
        """The status-fields rule (and, by `.sql()`, the table's CHECK constraint) made from the steps."""
        return StatusFields(
            allowed_in={column: tuple(s.value for s in (state, *self.after(state)))
                        for state, columns in self.step_columns.items() for column in columns},
            required_in={state.value: columns for state, columns in self.required.items()},
        )
