"""A drill's clock: when it began playing and how fast, so every process can read drill records on the
drill's own day (the dashboard's chart by simulated hour) rather than by the compressed wall clock."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Date, Float, Integer
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models.base import Base, UTCDateTime

DAY_START = timedelta(hours=5)  # the simulated day begins at 05:00 local time (officers arriving)
DAY_END = timedelta(hours=29)  # 05:00 the next morning: a 24-hour day


class DrillClock(Base):
    """One drill (`flask drill`): its plan, written when it starts; the worker plays it and records its
    progress here; deleted by `drill --wipe`."""

    __tablename__ = "drill_clock"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # the election day the drill plays
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)  # wall clock at DAY_START of the simulated day
    speed: Mapped[float] = mapped_column(Float)  # simulated seconds per wall-clock second
    seed: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # the schedule's (same seed, same day)
    stop_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # wall clock: no event due later is played
    played: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # schedule events done (or skipped)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # nothing more to play

    def wall_time(self, simulated: timedelta) -> datetime:
        """When an event at `simulated` (offset from 00:00 of the simulated day) is played."""
        return self.started_at + (simulated - DAY_START) / self.speed

    def simulated(self, wall: datetime) -> timedelta:
        """The simulated offset from 00:00 that the wall-clock moment `wall` stands for."""
        return DAY_START + (wall - self.started_at) * self.speed

    def ends_at(self) -> datetime:
        """The wall-clock moment the drill's clock stops: its stop time (`stop_at`, a drill stopped early),
        else the end of its 24-hour day (DAY_END)."""
        end = self.wall_time(DAY_END)
        return min(end, self.stop_at) if self.stop_at is not None else end

    def moment(self, wall: datetime, day_start: datetime) -> datetime:
        """The simulated moment the wall-clock moment `wall` stands for, `day_start` being 00:00 of the
        simulated day (`logistics.queries.zones.day_window`, as the schedule's offsets are). Once the drill
        has ended (`ends_at`: its day played out, or stopped early) it stays at the moment it ended: a
        drill left in progress until its wipe would otherwise go on into the days after its own."""
        return day_start + self.simulated(min(wall, self.ends_at()))

    def simulated_hour(self, wall: datetime) -> int | None:
        """The hour of the simulated day (0-23 on its clock face) for `wall`; None outside the drill's day."""
        offset = self.simulated(wall)
        if not DAY_START <= offset < DAY_END:
            return None
        return int(offset.total_seconds() // 3600) % 24
