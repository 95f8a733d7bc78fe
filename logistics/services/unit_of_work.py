"""The unit of work: one submission's changes, their audit entries and their events, committed once.

    with UnitOfWork(session) as uow:
        advance_incident(session, actor, ...)   # services flush instead of committing
        uow.commit()                            # the change, its audit entry and its outbox events

Inside it, `logistics.services.common.commit` only flushes, so several services, the idempotency record
and the stored answer (siaga/idempotency.py) commit together; the events the services raised are outbox
rows in the same transaction (logistics/events.py). Leaving the block without `commit()` rolls back.
Outside any unit of work (the CLI, importers, the seeder) a service commits its own change.
"""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from logistics.rules.tapped import Tapped

KEY = "unit_of_work"  # session.info: the unit of work the session's services are inside


class UnitOfWork:
    def __init__(self, session: Session, tapped: Tapped | None = None, via: dict | None = None):
        self.session = session
        # How the submission came, when not a page or the API (an SMS: {"sms": its gateway message id}):
        # kept in its audit entries, so the operator's SMS log shows what each SMS changed (/admin/sms).
        self.via = via
        self.committed = False
        self._outer = None
        # When the submission was tapped on the phone (logistics/rules/tapped.py): its steps' time, and
        # what its audit entries keep beside the time received.
        self.tapped = tapped

    def __enter__(self) -> "UnitOfWork":
        self._outer = self.session.info.get(KEY)
        self.session.info[KEY] = self
        self.committed = False
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self.committed:
            self.rollback()
        if self._outer is None:
            self.session.info.pop(KEY, None)
        else:
            self.session.info[KEY] = self._outer

    def commit(self) -> None:
        """Commit everything the block did (IntegrityError is the caller's: a replayed key, a conflict)."""
        self.session.commit()
        self.committed = True

    def rollback(self) -> None:
        """Undo what was not committed; if the database itself is gone the pool replaces the connection,
        and the error that ended the block (e.g. a 503 for the client to retry) is what counts."""
        try:
            self.session.rollback()
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).warning("rollback failed", exc_info=True)


def active(session: Session) -> UnitOfWork | None:
    return session.info.get(KEY)


def tapped(session: Session) -> Tapped | None:
    """The moment the session's submission was tapped, if it said (None outside a unit of work)."""
    uow = active(session)
    return uow.tapped if uow is not None else None


def via(session: Session) -> dict | None:
    """How the session's submission came (an SMS's id), if it said (None outside a unit of work)."""
    uow = active(session)
    return uow.via if uow is not None else None
