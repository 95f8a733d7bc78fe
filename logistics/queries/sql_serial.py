"""Statements run without PostgreSQL's parallel workers, where the planner would start them for a few
milliseconds of work: each worker is a process started and ended per statement, its CPU as large as the
statement's own (the kota pass's login readiness, 9 ms: 8–10 ms more in two workers, docs/SCALING.md)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session


@contextmanager
def serial(session: Session) -> Iterator[None]:
    """The session's statements within run in its own backend alone (PostgreSQL; elsewhere nothing to do).
    For the current transaction only: its end (a rollback after an error included) restores the setting."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    yield
    session.execute(text("SET LOCAL max_parallel_workers_per_gather TO DEFAULT"))
