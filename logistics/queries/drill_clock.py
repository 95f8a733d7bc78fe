"""The drill playing on a day, if any (its clock maps drill records to the simulated day's hours)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.models import DrillClock


def playing_drill(session: Session, day: date) -> DrillClock | None:
    """The newest drill clock of `day`; None on a real day (and after `drill --wipe`)."""
    return session.scalar(select(DrillClock).where(DrillClock.day == day).order_by(DrillClock.id.desc()).limit(1))
