"""The election clock: the moment the product judges the day on (meals late, alerts, the dashboard's figures,
the map's colours, the field pages' "late", the summary API, /metrics) and the moment a step is stamped with.

On a real day it is the wall clock. While a drill is in progress (from `flask drill` until `drill --wipe`,
so its day stays readable once it has played out), it is the drill's simulated time (`DrillClock.moment`):
the meal plans and deadlines it is judged against are in the election day's local hours, and a drill
started in the afternoon or at dawn must still open its TPS at 07:00 and be late at 12:40 as designed.
The records a drill's day makes (the drill's own events, a trainee's taps, SMS) are stamped on the same
clock (logistics/services/common.py `step_time`), so what is judged and what is stamped agree. What stays
on the wall clock (the audit trail's `at`, when a post was received) is read on it through `wall_stamps`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from logistics.models import DrillClock
from logistics.models.drill import DAY_START
from logistics.queries.sql_time import rescaled
from logistics.queries.zones import day_window

_TABLE = DrillClock.__table__
# A Core statement (no ORM hooks to run): asked once per transaction of every post and every clocked page.
_NEWEST = (select(_TABLE.c.day, _TABLE.c.started_at, _TABLE.c.speed, _TABLE.c.stop_at)
           .order_by(_TABLE.c.id.desc()).limit(1))
_CACHE = "drill_in_progress"  # session.info: (transaction, (the drill's pace, 00:00 of its day) or None)
_NONE_FOR_REQUEST = "drill_none_for_request"  # session.info: the request's identity read found no drill


def newest_drill_column():
    """The newest drill's id (None: no drill), for a statement read anyway (a request's identity) to carry:
    on a real day no request then spends a statement of its own on the drill (`pin_no_drill`)."""
    return select(_TABLE.c.id).order_by(_TABLE.c.id.desc()).limit(1).scalar_subquery()


def pin_no_drill(session: Session, newest_drill_id: int | None) -> None:
    """What the request's identity read found: no drill means none for the rest of the request (a drill
    started meanwhile is seen by the next request); a drill is read as usual, once per transaction."""
    if newest_drill_id is None:
        session.info[_NONE_FOR_REQUEST] = True


def unpin(session: Session) -> None:
    session.info.pop(_NONE_FOR_REQUEST, None)


def on_election_day(now: datetime, start: datetime, end: datetime) -> datetime:
    """`now` held within the election day [start, end): before the day nothing is due yet (its first
    moment), after it the day is judged as it ended (its last moment). Judged on the real clock, a past
    election day made every undelivered meal late and a station's shift "now" fall on another date."""
    if now < start:
        return start
    if now >= end:
        return end - timedelta(microseconds=1)
    return now


def _drill(session: Session) -> tuple[DrillClock, date, datetime] | None:
    """The drill in progress (the newest not wiped; a drill refuses to start over another's leftovers):
    its pace, its day and 00:00 of its day; read once per transaction (election_now is asked several
    times a request, step_time once per step)."""
    if session.info.get(_NONE_FOR_REQUEST):
        return None
    transaction = (session() if isinstance(session, scoped_session) else session).get_transaction()
    cached = session.info.get(_CACHE)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    row = session.execute(_NEWEST).first()
    found = None
    if row is not None:
        pace = DrillClock(day=row.day, started_at=row.started_at, speed=row.speed, stop_at=row.stop_at)
        found = (pace, row.day, day_window(session, row.day)[0])
    session.info[_CACHE] = (transaction, found)
    return found


def drill_speed(session: Session, wall: datetime) -> float | None:
    """How many times faster than real time the drill in progress plays at `wall` (None: no drill, or
    one that ended (`DrillClock.ends_at`: its day played out, or stopped early) before `wall`)."""
    drill = _drill(session)
    if drill is None:
        return None
    pace = drill[0]
    if wall > pace.ends_at():
        return None
    return pace.speed


def on_drill_clock(session: Session, wall: datetime, day: date | None = None) -> datetime:
    """`wall` (the real, or frozen, clock) as the product reads it: the simulated moment while a drill is in
    progress (on `day`, when given), else `wall` itself."""
    drill = _drill(session)
    if drill is None or (day is not None and drill[1] != day):
        return wall
    pace, _day, day_start = drill
    return pace.moment(wall, day_start)


@dataclass(frozen=True)
class WallStamps:
    """How a stamp kept on the wall clock (the audit trail's `at`: when a post was received) is read on a day's
    election clock: as it is on a real day; while a drill plays the day, through the drill's clock, and only
    the stamps since the drill started: an earlier drill of the day, wiped (the demo wipes and starts one at
    each start), left its entries in the append-only trail, and they are no part of this drill's day."""
    drill: DrillClock | None = None
    day_start: datetime | None = None  # 00:00 of the drill's day

    def window(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """The wall-clock stamps that are [start, end) of the election clock, as a wall-clock [start, end)
        (the range an index on the stamps reads)."""
        if self.drill is None:
            return start, end
        return (max(self.drill.wall_time(start - self.day_start), self.drill.started_at),
                self.drill.wall_time(end - self.day_start))

    def on_clock(self, stamp):
        """The stamp (an SQL column or aggregate) on the election clock: itself on a real day, else its moment
        on the drill's clock (`DrillClock.moment`'s SQL twin, for stamps in `window`: before the drill ends)."""
        if self.drill is None:
            return stamp
        return rescaled(stamp, self.drill.started_at, self.day_start + DAY_START, self.drill.speed)


def wall_stamps(session: Session, day: date) -> WallStamps:
    """How wall-clock stamps are read on `day`'s election clock (`WallStamps`)."""
    drill = _drill(session)
    if drill is None or drill[1] != day:
        return WallStamps()
    pace, _day, day_start = drill
    return WallStamps(pace, day_start)


def election_clock(session: Session, day: date, wall: datetime) -> datetime:
    """The moment `day` is judged on at `wall`: its drill's simulated time while one plays it, held within
    the day (`on_election_day`)."""
    return on_election_day(on_drill_clock(session, wall, day), *day_window(session, day))
