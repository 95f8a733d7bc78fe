"""What a request's identity read (its session's user, siaga/auth.py, or its API token,
logistics/services/api_tokens.py) carries besides the identity, and keeps for the request: the active
election (logistics/election_scope.py) and whether a drill is in progress (logistics/queries/election_clock.py).
One statement instead of three; the request's teardown calls `unpin`."""
from __future__ import annotations

from sqlalchemy.orm import Session

from logistics import election_scope
from logistics.queries import election_clock


def columns() -> tuple:
    """The columns to add to the identity's SELECT, in the order `pin` takes their values."""
    return election_scope.active_election_column(), election_clock.newest_drill_column()


def pin(session: Session, active_election_id: int | None, newest_drill_id: int | None) -> None:
    election_scope.pin_active(session, active_election_id)
    election_clock.pin_no_drill(session, newest_drill_id)


def unpin(session: Session) -> None:
    election_scope.unpin(session)
    election_clock.unpin(session)
