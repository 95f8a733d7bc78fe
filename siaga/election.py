"""The election day this deployment serves (`ELECTION_DATE`), for views and commands."""
from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from logistics.timeutil import wib_day


def election_day() -> date:
    return date.fromisoformat(current_app.config["ELECTION_DATE"])


def election_window() -> tuple[datetime, datetime]:
    """Election day, 00:00 to 24:00 WIB, as aware UTC [start, end)."""
    return wib_day(election_day())
