"""The election day this deployment serves, for views and commands: the admin's setting, else
`ELECTION_DATE` (see `logistics.settings`)."""
from __future__ import annotations

from datetime import date, datetime

from logistics.settings import ElectionSettings, settings_for
from logistics.timeutil import wib_day


def election_settings() -> ElectionSettings:
    """This request's election settings (read once per request)."""
    from siaga.extensions import db

    return settings_for(db.session)


def election_day() -> date:
    return election_settings().election_date


def election_window() -> tuple[datetime, datetime]:
    """Election day, 00:00 to 24:00 WIB, as aware UTC [start, end)."""
    return wib_day(election_day())
