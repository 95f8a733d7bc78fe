"""Time arithmetic on columns, the same on PostgreSQL and SQLite (which stores UTC as naive text)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from logistics.models.base import UTCDateTime
from logistics.timeutil import as_utc


class plus(FunctionElement):
    """`moment + delta` for a timestamp column or aggregate and a fixed timedelta.

    The delta is part of the cache key, so a statement using it is compiled once per shape, not on every
    execution (an uncached one made every alert count of the dashboard's figures compile again: about a
    third of their CPU, docs/SCALING.md)."""
    _traverse_internals = FunctionElement._traverse_internals + [("seconds", InternalTraversal.dp_plain_obj)]
    type = UTCDateTime()

    def __init__(self, moment: ColumnElement, delta: timedelta):
        self.seconds = delta.total_seconds()
        super().__init__(moment)


@compiles(plus)
def _plus_default(element, compiler, **kw):
    (moment,) = element.clauses
    return f"({compiler.process(moment, **kw)} + make_interval(secs => {float(element.seconds)!r}))"


@compiles(plus, "sqlite")
def _plus_sqlite(element, compiler, **kw):
    (moment,) = element.clauses
    # Same text shape as the stored values ("YYYY-MM-DD HH:MM:SS.ffffff"), so comparisons stay textual.
    return (f"(strftime('%Y-%m-%d %H:%M:%f', {compiler.process(moment, **kw)}, '{float(element.seconds):+f} seconds')"
            f" || '000')")


class rescaled(FunctionElement):
    """`origin + (moment - wall_origin) * speed` for a timestamp column or aggregate: a wall-clock stamp read
    on a drill's clock (the SQL twin of `DrillClock.simulated`, logistics/queries/election_clock.py
    `WallStamps`). Its constants are part of the cache key, as `plus`'s delta (one compilation per drill)."""
    _traverse_internals = FunctionElement._traverse_internals + [
        ("origin", InternalTraversal.dp_plain_obj), ("wall_origin", InternalTraversal.dp_plain_obj),
        ("speed", InternalTraversal.dp_plain_obj)]
    type = UTCDateTime()

    def __init__(self, moment: ColumnElement, wall_origin: datetime, origin: datetime, speed: float):
        self.wall_origin, self.origin, self.speed = as_utc(wall_origin), as_utc(origin), float(speed)
        super().__init__(moment)


@compiles(rescaled)
def _rescaled_default(element, compiler, **kw):
    (moment,) = element.clauses
    # In seconds (an interval of days would be added as calendar days), as `plus` adds them.
    elapsed = f"extract(epoch from ({compiler.process(moment, **kw)} - timestamptz '{element.wall_origin.isoformat()}'))"
    return f"(timestamptz '{element.origin.isoformat()}' + make_interval(secs => {elapsed} * {element.speed!r}))"


@compiles(rescaled, "sqlite")
def _rescaled_sqlite(element, compiler, **kw):
    (moment,) = element.clauses

    def text(at: datetime) -> str:  # as SQLite stores UTC: naive text
        return at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    # In Julian days (milliseconds kept by strftime), written back in the stored text's shape as `plus` is.
    return (f"(strftime('%Y-%m-%d %H:%M:%f', julianday('{text(element.origin)}') + "
            f"(julianday({compiler.process(moment, **kw)}) - julianday('{text(element.wall_origin)}')) * "
            f"{element.speed!r}) || '000')")
