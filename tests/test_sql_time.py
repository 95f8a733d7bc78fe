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


def test_a_wall_clock_moment_read_on_a_drills_clock_as_the_drill_reads_it(session):
    """`rescaled` is `DrillClock.simulated` in SQL (the fatigue alert reads the audit trail's wall-clock
    stamps on a drill's clock with it), cached per drill like `plus`."""
    from logistics.models import DrillClock
    from logistics.models.drill import DAY_START
    from logistics.queries.sql_time import rescaled

    day_start = datetime(2025, 8, 26, 17, 0, tzinfo=timezone.utc)  # 00:00 WIB of the drill's day
    for started, speed in ((MOMENT, 60.0), (MOMENT - timedelta(hours=30), 30.0), (MOMENT, 1.0)):
        drill = DrillClock(started_at=started, speed=speed)

        def read(wall, started=started, speed=speed):
            return select(rescaled(literal(wall, UTCDateTime()), started, day_start + DAY_START, speed).label("at"))

        for wall in (started, started + timedelta(minutes=17, seconds=0.25), started + timedelta(hours=1)):
            got = session.scalar(read(wall))
            assert abs(got - (day_start + drill.simulated(wall))) < timedelta(milliseconds=2), (started, speed, wall)
        assert read(started)._generate_cache_key() is not None
        assert read(started)._generate_cache_key() == read(started)._generate_cache_key()
    assert (select(rescaled(literal(MOMENT, UTCDateTime()), MOMENT, day_start, 60.0))._generate_cache_key()
            != select(rescaled(literal(MOMENT, UTCDateTime()), MOMENT, day_start, 30.0))._generate_cache_key())
