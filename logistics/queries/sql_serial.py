"""Statements run without PostgreSQL's parallel workers, where they cost more CPU than they save time: each
worker is a process started and ended per statement. The dashboard's figures at national size (docs/SCALING.md):
a kota pass's login readiness, 9 ms, took 8–10 ms more in two workers; a province's figures 2.3–2.6× the
database CPU with them, in about the same time. At the peak the database's cores are the limit, not a
figure's wait."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

T = TypeVar("T")


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


def serially(function: Callable[..., T]) -> Callable[..., T]:
    """`function(session, ...)` with its statements `serial`."""
    @wraps(function)
    def wrapped(session: Session, *args, **kwargs) -> T:
        with serial(session):
            return function(session, *args, **kwargs)
    return wrapped
