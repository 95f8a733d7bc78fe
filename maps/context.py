"""What every maps view needs: the coordinator's scope and the election day's window."""
from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from siaga.auth import current_user
from logistics.queries.scope import day_window


def scope_kecamatan_ids() -> list[int] | None:
    """A kecamatan coordinator's kecamatan; None for the city coordinator and admins."""
    user = current_user()
    return [user.kecamatan_id] if user is not None and user.kecamatan_id is not None else None


def election_day() -> date:
    return date.fromisoformat(current_app.config["ELECTION_DATE"])


def election_window() -> tuple[datetime, datetime]:
    return day_window(election_day())
