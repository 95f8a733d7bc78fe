"""The unit of work: one submission's changes, their audit entries, their events and what they imply, committed once.

    with UnitOfWork(session) as uow:
        advance_incident(session, actor, ...)   # services flush instead of committing
        uow.commit()                            # the change, its audit entry, its outbox events, and
                                                # the data versions and coverage it moves

Every write goes through one; there is no other mechanism (no global `Session` hooks):
- a web request's (`siaga.idempotency.idempotent`), a drill event's, an SMS command's: opened by the caller,
  the services inside only flush (`logistics.services.common.commit`), the caller commits once;
- a service called on its own (the CLI, an importer, the seeder, a worker job, a test): `@in_unit_of_work`
  on the service opens one for it if none is open, and its `commit(session)` commits it.
While a unit of work is open it watches its session's flushes (one listener on that session instance, added
the first time): it notes which versioned tables and owners change (logistics/services/data_versions.py),
which TPS and medic stations are added, moved or removed (logistics/services/coverage.py), and fills the
simplified shapes of a changed boundary (logistics/services/boundary_shapes.py). At `commit()` it
brings `tps_coverage` up to date for what moved, then writes the submission's key (if it has one), the audit
entries its services handed it (`common.audit`) and the noted data versions — on PostgreSQL in one statement,
the key first (logistics/services/commit_writes.py) — in the same transaction, then commits; after the
commit, the `after_commit` callbacks see what was audited (siaga/observability.py counts posts). A rollback
forgets it all.

Writes outside any unit of work: `data_versions.touch` and `common.commit` refuse them (OutsideUnitOfWork), and
a session watched with `strict=True` (the tests' session, tests/conftest.py) refuses a flush that changes a
versioned table outside one, so a writer that would leave the map's ETags or coverage stale fails loudly
in the tests instead of silently in production.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from logistics.rules.tapped import Tapped

KEY = "unit_of_work"  # session.info: the unit of work the session's services are inside
_WATCHED = "unit_of_work_watched"  # session.info: its flush listener is in place (True, or "strict")
log = logging.getLogger(__name__)


class OutsideUnitOfWork(RuntimeError):
    """A write that no unit of work would commit with its data versions and coverage: a programming error."""


@dataclass
class Changes:
    """What the open transaction changed, as far as the derived data cares; written at the commit."""
    versions: set[str] = field(default_factory=set)     # data_versions: counters to bump
    coverage: dict | None = None                        # coverage: TPS/stations to recompute for
    audited: list[str] = field(default_factory=list)    # audited actions (posts, counted once committed)
    audit_rows: list[dict] = field(default_factory=list)  # audit entries, written at the commit (commit_writes)


# Called with the committed Changes after each commit of a unit of work (siaga.observability registers one).
_AFTER_COMMIT: list[Callable[[Changes], None]] = []


def after_commit(callback: Callable[[Changes], None]) -> None:
    """Call `callback(changes)` after every commit of a unit of work (registered once, at app set-up)."""
    if callback not in _AFTER_COMMIT:
        _AFTER_COMMIT.append(callback)


class UnitOfWork:
    def __init__(self, session: Session, tapped: Tapped | None = None, via: dict | None = None, *,
                 own_commits: bool = False, happened_at: datetime | None = None):
        self.session = session
        # How the submission came, when not a page or the API (an SMS: {"sms": its gateway message id}):
        # kept in its audit entries, so the operator's SMS log shows what each SMS changed (/admin/sms).
        self.via = via
        self.committed = False
        self._outer: UnitOfWork | None = None
        # When the submission was tapped on the phone (logistics/rules/tapped.py): its steps' time, and
        # what its audit entries keep beside the time received.
        self.tapped = tapped
        # When its steps happened on the wall clock, when that is not now and no phone says: a drill event's
        # due moment, so its steps land on their designed simulated minute however late the tick plays them.
        self.happened_at = happened_at
        # True for the one a service opens for itself (`in_unit_of_work`): its `common.commit` commits.
        self.own_commits = own_commits
        self.changes = Changes()

    def __enter__(self) -> "UnitOfWork":
        watch(self.session)
        self._outer = self.session.info.get(KEY)
        if self._outer is not None:
            self.changes = self._outer.changes  # one transaction: one record of what it changed
            if self.tapped is None:
                self.tapped = self._outer.tapped
            if self.happened_at is None:
                self.happened_at = self._outer.happened_at
        self.session.info[KEY] = self
        self.committed = False
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # Leaving on an error undoes what is not committed; so does leaving a caller's block without
        # commit(). A service's own unit of work left normally keeps what it did not commit (as before).
        if exc_type is not None or not (self.committed or self.own_commits):
            self.rollback()
        if self._outer is None:
            self.session.info.pop(KEY, None)
        else:
            self.session.info[KEY] = self._outer

    def commit(self, *, idempotency_record: dict | None = None) -> None:
        """Bring the derived data up to date and commit everything the block did (IntegrityError is the
        caller's: a replayed key, a conflict). `idempotency_record`: the submission's key with its answer
        (`siaga.idempotency`), written with the audit entries and the data versions, key first
        (logistics/services/commit_writes.py: one statement on PostgreSQL)."""
        from logistics.election_scope import refuse_if_read_only
        from logistics.services import commit_writes, coverage

        session, changes = self.session, self.changes
        refuse_if_read_only(session)  # a past election browsed: nothing of it changes (the one place)
        session.flush()
        if changes.coverage is not None:
            pending, changes.coverage = changes.coverage, None
            coverage.keep_current(session, pending)
        commit_writes.write_at_commit(session, record=idempotency_record, audits=changes.audit_rows,
                                      versions=changes.versions)
        changes.audit_rows.clear()
        session.commit()
        self.committed = True
        done = Changes(changes.versions.copy(), None, changes.audited.copy())
        self._forget()
        for callback in _AFTER_COMMIT:
            callback(done)

    def rollback(self) -> None:
        """Undo what was not committed; if the database itself is gone the pool replaces the connection,
        and the error that ended the block (e.g. a 503 for the client to retry) is what counts."""
        self._forget()
        try:
            self.session.rollback()
        except Exception:  # noqa: BLE001
            log.warning("rollback failed", exc_info=True)

    def _forget(self) -> None:
        self.changes.versions.clear()
        self.changes.coverage = None
        self.changes.audited.clear()
        self.changes.audit_rows.clear()


def in_unit_of_work(service):
    """A service `service(session, ...)` runs in the caller's unit of work, or in one of its own that its
    `common.commit(session)` commits (and that rolls back what is left if it raises)."""
    @functools.wraps(service)
    def run(session, *args, **kwargs):
        if active(session) is not None:
            return service(session, *args, **kwargs)
        with UnitOfWork(session, own_commits=True):
            return service(session, *args, **kwargs)
    return run


def active(session: Session) -> UnitOfWork | None:
    return session.info.get(KEY)


def required(session: Session, what: str) -> UnitOfWork:
    uow = session.info.get(KEY)
    if uow is None:
        raise OutsideUnitOfWork(f"{what} outside a unit of work (logistics/services/unit_of_work.py)")
    return uow


def tapped(session: Session) -> Tapped | None:
    """The moment the session's submission was tapped, if it said (None outside a unit of work)."""
    uow = active(session)
    return uow.tapped if uow is not None else None


def via(session: Session) -> dict | None:
    """How the session's submission came (an SMS's id), if it said (None outside a unit of work)."""
    uow = active(session)
    return uow.via if uow is not None else None
def watch(session: Session, *, strict: bool = False) -> None:
    """Put the unit of work's flush listener on this session instance (once). `strict`: a flush that changes
    a versioned table while no unit of work is open raises OutsideUnitOfWork (the tests' session)."""
    instance = session() if isinstance(session, scoped_session) else session
    if strict:
        instance.info[_WATCHED] = "strict"
    if instance.info.get(_WATCHED) is None:
        instance.info[_WATCHED] = True
    if not event.contains(instance, "before_flush", _before_flush):
        event.listen(instance, "before_flush", _before_flush)
        event.listen(instance, "before_commit", _before_commit)


def _before_commit(session: Session) -> None:
    """A commit around the unit of work's (`session.commit()` inside its block) would end the transaction
    without the audit entries it holds for its own commit: refused, loudly."""
    uow = active(session)
    if uow is not None and uow.changes.audit_rows:
        raise OutsideUnitOfWork("a commit that is not the unit of work's would leave its audit entries unwritten "
                                "(commit with `uow.commit()` or `common.commit(session)`)")


def _before_flush(session: Session, _flush_context, _instances) -> None:
    from logistics.services import boundary_shapes, coverage, data_versions

    uow = active(session)
    if uow is None:
        names = data_versions.flushed(session)
        if names and session.info.get(_WATCHED) == "strict":
            raise OutsideUnitOfWork(f"a flush changing {sorted(names)} outside a unit of work")
        if names:
            log.warning("a flush changing %s outside a unit of work: their data versions are not bumped",
                        sorted(names))
        return
    boundary_shapes.fill_changed(session)
    uow.changes.versions |= data_versions.flushed(session)
    uow.changes.coverage = coverage.note_changes(session, uow.changes.coverage)
