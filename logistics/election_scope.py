"""Which election a session reads and writes: the one hook that keeps elections apart.

Every table of one election's records carries `election_id` (`logistics.models.election.ElectionScoped`).
One `do_orm_execute` listener on every Session adds `election_id = <the session's election>` to each ORM
SELECT, UPDATE and DELETE of those tables (SQLAlchemy's `with_loader_criteria`, its documented
multi-tenant pattern: joins, subqueries and aliases included), and one `before_flush` listener gives new
rows the session's election. The session's election is the active one, unless a request browses another
(`view`): then the session is read-only, and the unit of work refuses to commit (`refuse_if_read_only`,
called by `UnitOfWork.commit`: the one place writes are refused).

Core statements on `Table` objects (no ORM entity) are not filtered: the few that touch scoped tables
(the map grid's count, coverage's and situation reports' upserts) name the election themselves.
"""
from __future__ import annotations

from functools import lru_cache
from weakref import WeakKeyDictionary

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, with_loader_criteria

from logistics.errors import DomainError
from logistics.models.election import Election, ElectionScoped
from logistics.texts import lazy_gettext

_ELECTION = "election_id"  # session.info: the election this session reads and writes
_VIEWING = "election_viewing"  # session.info: True while a request browses an election that is not active
_ACTIVE = "election_active_id"  # session.info: the active election's id, read once per transaction
_PINNED = "election_active_pinned"  # session.info: _ACTIVE was read with a request's identity; kept for the request
_BUILT_ONCE = "election_scope_built_once"  # execution option: see `built_once`
_filtered: WeakKeyDictionary = WeakKeyDictionary()  # statement built once -> {election id: it filtered}


class PastElectionReadOnly(DomainError):
    """A write while browsing an election that is not the active one."""

    http_status = 409
    code = "election_read_only"


def active_election_id(session: Session) -> int | None:
    """The active election's id (read once per transaction and kept on the session)."""
    found = session.info.get(_ACTIVE)
    if found is None:
        found = session.execute(select(Election.id).where(Election.active.is_(True))).scalar()
        if found is None:  # none marked active (a hand-made database): the first one
            found = session.execute(select(Election.id).order_by(Election.id).limit(1)).scalar()
        session.info[_ACTIVE] = found
    return found


def active_election_column():
    """The active election's id as a column, for a statement that is read anyway (a request's identity:
    its user or its API token) to carry, so no request spends a statement of its own on it (see `pin_active`).
    None marked active (a hand-made database): the first one, as `active_election_id`."""
    return func.coalesce(select(Election.id).where(Election.active.is_(True)).scalar_subquery(),
                         select(func.min(Election.id)).scalar_subquery())


def pin_active(session: Session, election_id: int | None) -> None:
    """The active election as read with the request's identity (`active_election_column`), kept for the rest
    of the request instead of read again per transaction (a post on SQLite has two). A request is one moment:
    an election activated during it is seen by the next request. `unpin` ends it (the request's teardown)."""
    session.info[_ACTIVE] = election_id
    session.info[_PINNED] = True


def unpin(session: Session) -> None:
    if session.info.pop(_PINNED, None):
        session.info.pop(_ACTIVE, None)


def current_election_id(session: Session) -> int | None:
    """The election this session reads and writes: the one it views, else the active one."""
    chosen = session.info.get(_ELECTION)
    return chosen if chosen is not None else active_election_id(session)


def view(session: Session, election_id: int | None) -> None:
    """Read `election_id` in this session (None: back to the active one). Viewing an election that is not
    the active one makes the session read-only."""
    from logistics import settings

    settings.forget(session)
    if election_id is None:
        session.info.pop(_ELECTION, None)
        session.info.pop(_VIEWING, None)
        return
    session.info[_ELECTION] = election_id
    session.info[_VIEWING] = election_id != active_election_id(session)


def is_read_only(session: Session) -> bool:
    return bool(session.info.get(_VIEWING))


def refuse_if_read_only(session: Session) -> None:
    """The one place writes to a past election are refused (UnitOfWork.commit calls it)."""
    if is_read_only(session):
        raise PastElectionReadOnly(lazy_gettext(
            "Pemilihan yang sedang dilihat sudah lewat dan hanya dapat dibaca; kembali ke pemilihan aktif untuk "
            "mengubah data."))


@event.listens_for(Session, "do_orm_execute")
def _only_this_election(state) -> None:
    if state.is_column_load or state.is_relationship_load:
        return  # loading attributes of rows already chosen
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("all_elections"):
        return
    session = state.session
    if session.info.get("_resolving_election"):
        return
    session.info["_resolving_election"] = True
    try:
        election_id = current_election_id(session)
    finally:
        session.info.pop("_resolving_election", None)
    if election_id is None:
        return
    statement = state.statement
    if not state.execution_options.get(_BUILT_ONCE):
        state.statement = statement.options(_criteria(election_id))
        return
    per_election = _filtered.get(statement)
    if per_election is None:
        per_election = _filtered[statement] = {}
    filtered = per_election.get(election_id)
    if filtered is None:
        filtered = per_election[election_id] = statement.options(_criteria(election_id))
    state.statement = filtered


def built_once(statement):
    """Mark a statement that is built once (a module's constant, its values bound parameters): its
    election-filtered form is kept per election, so SQLAlchemy computes its cache key once, not on every
    execution (about a third of a small read's CPU)."""
    return statement.execution_options(**{_BUILT_ONCE: True})


@lru_cache(maxsize=64)
def _criteria(election_id: int):
    """The filter of one election's rows, made once per election (SQLAlchemy analyses the lambda when made)."""
    return with_loader_criteria(ElectionScoped, lambda cls: cls.election_id == election_id, include_aliases=True)


@event.listens_for(Session, "before_flush")
def _new_rows_join_this_election(session: Session, _flush_context, _instances) -> None:
    election_id = None
    for obj in session.new:
        if isinstance(obj, ElectionScoped) and obj.election_id is None:
            if election_id is None:
                election_id = current_election_id(session)
            obj.election_id = election_id


@event.listens_for(Session, "after_transaction_end")
def _forget_active(session: Session, transaction) -> None:
    # The outermost: another transaction may see another active election (unless pinned for a request).
    if transaction.parent is None and not session.info.get(_PINNED):
        session.info.pop(_ACTIVE, None)


class within:
    """`with within(session, election_id):` read and write another election for a moment (copying into a
    new one, activating it), not read-only; the session's own election again afterwards."""

    def __init__(self, session: Session, election_id: int):
        self.session, self.election_id = session, election_id

    def __enter__(self):
        from logistics import settings

        self._before = self.session.info.get(_ELECTION)
        self.session.info[_ELECTION] = self.election_id
        settings.forget(self.session)
        return self

    def __exit__(self, *exc) -> None:
        from logistics import settings

        if self._before is None:
            self.session.info.pop(_ELECTION, None)
        else:
            self.session.info[_ELECTION] = self._before
        settings.forget(self.session)


def forget_active(session: Session) -> None:
    """Another election was made active: read it again."""
    from logistics import settings

    session.info.pop(_ACTIVE, None)
    session.info.pop(_PINNED, None)
    settings.forget(session)
