"""logistics/queries/sql_time.py: `plus` (moment + a fixed delta in SQL) on both databases, compiled once per
statement shape: the dashboard's alert counts use it, and a statement that cannot be cached is compiled
again on every execution (docs/SCALING.md)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import literal, select

from logistics.models.base import UTCDateTime
from logistics.queries.sql_time import plus

MOMENT = datetime(2025, 8, 27, 5, 0, tzinfo=timezone.utc)


def shifted(delta: timedelta):
    return select(plus(literal(MOMENT, UTCDateTime()), delta).label("at"))


def test_a_moment_plus_a_delta_on_the_database(session):
    assert session.scalar(shifted(timedelta(minutes=30))) == MOMENT + timedelta(minutes=30)
    assert session.scalar(shifted(timedelta(hours=20, seconds=1.5))) == MOMENT + timedelta(hours=20, seconds=1.5)


def test_a_statement_with_plus_is_cached_and_the_delta_is_part_of_its_key():
    assert shifted(timedelta(minutes=30))._generate_cache_key() is not None  # None: compiled on every run
    assert shifted(timedelta(minutes=30))._generate_cache_key() == shifted(timedelta(minutes=30))._generate_cache_key()
    assert shifted(timedelta(minutes=30))._generate_cache_key() != shifted(timedelta(minutes=15))._generate_cache_key()


def test_the_same_shape_with_another_delta_is_not_served_the_first_ones_sql(session):
    for minutes in (30, 15, 30, 45):
        assert session.scalar(shifted(timedelta(minutes=minutes))) == MOMENT + timedelta(minutes=minutes)
