"""Time arithmetic on columns, the same on PostgreSQL and SQLite (which stores UTC as naive text)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

from logistics.models.base import UTCDateTime


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
