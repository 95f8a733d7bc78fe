"""Helpers every service uses: loading, time checks, the audit trail and the commit."""
from __future__ import annotations

import enum
from functools import lru_cache
from datetime import date, datetime, time
from typing import TypeVar

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from logistics.actor import Actor
from logistics.errors import DomainError, InvalidTransition, ValidationFailed, not_found, record_name
from logistics.rules.tapped import MAX_SKEW
from logistics.services import commit_writes, data_versions, unit_of_work
from logistics.timeutil import as_utc, utcnow
from logistics.texts import lazy_gettext

M = TypeVar("M")



class Conflict(DomainError):
    http_status = 409
    code = "conflict"


def load(session: Session, model: type[M], record_id: int, what: str, *, for_step: bool = False,
         joined: tuple[str, ...] = ()) -> M:
    """The record, or NotFound. `for_step`: the caller changes its status from what it reads now,
    so lock the row until the commit (SELECT ... FOR UPDATE on PostgreSQL, re-read even if the
    session holds it; SQLite write requests already hold the database's write lock, BEGIN
    IMMEDIATE). Two racing steps then run one after the other and the second sees the first's
    status: one succeeds, the other is refused as an invalid transition (409). `joined`: relationships
    loaded in the same query (inner join), e.g. what the permission check reads, to save a query."""
    record = session.scalar(_load_statement(model, for_step, joined), {"record_id": record_id})
    if record is None:
        raise not_found(what, record_id)
    return record


@lru_cache(maxsize=None)
def _load_statement(model: type, for_step: bool, joined: tuple[str, ...]):
    """Built once per kind of load: SQLAlchemy computes a statement's cache key once per statement object,
    and `session.get(..., options=...)` built a new statement, with its key, on every call (every post)."""
    statement = select(model).where(inspect(model).primary_key[0] == bindparam("record_id"))
    for name in joined:
        relationship = getattr(model, name)
        # An area joined for its codes and names (the permission's kecamatan, an event's): not its polygons.
        left_out = getattr(relationship.property.mapper.class_, "polygons_left_out", tuple)()
        statement = statement.options(joinedload(relationship, innerjoin=True).options(*left_out))
    if for_step:
        statement = statement.with_for_update(of=model).execution_options(populate_existing=True)
    return statement


def change(session: Session, record, **values) -> None:
    """Write `values` to the record's row with one UPDATE, and into the loaded record as its stored state.

    For the election-day posts that change one row (a TPS's officer count and steps): the ORM's unit of
    work for one changed row cost 0.37 ms of a post of about 3.8 ms of CPU, a Core UPDATE 0.05 ms
    (docs/PERFORMANCE.md). The record is not dirty afterwards (nothing is flushed twice), `updated_at` is
    set as the model's `onupdate` would, and the table's data version is bumped at the commit as for a
    flushed change. No flush hook sees it: use it for columns that no hook watches (`coverage` watches
    positions)."""
    mapper = inspect(record).mapper
    if "updated_at" in mapper.columns:
        values.setdefault("updated_at", utcnow())
    session.execute(_update_statement(mapper.local_table, tuple(sorted(values))),
                    {**values, "_record_id": record.id})
    before = {key: record.__dict__.get(key) for key in values}  # as loaded (no SELECT)
    for key, value in values.items():
        set_committed_value(record, key, value)
    data_versions.touch_record(session, record, before)


@lru_cache(maxsize=None)
def _update_statement(table, columns: tuple[str, ...]):
    """One UPDATE per table and set of columns, built once (its cache key computed once)."""
    return (update(table).where(table.primary_key.columns[0] == bindparam("_record_id"))
            .values({table.c[name]: bindparam(name, type_=table.c[name].type) for name in columns}))


def require_transition(allowed: bool, what: str, current, target) -> None:
    """Refuse a status change the rules do not allow, naming both statuses (`what`: e.g. "Kejadian")."""
    if not allowed:
        raise InvalidTransition(
            lazy_gettext("{what} berstatus {current}; tidak bisa ke {target}", what=record_name(what),
                         current=current.label, target=target.label),
            {"status": lazy_gettext("Tidak bisa dari {current} ke {target}.", current=current.label,
                                    target=target.label)},
        )


def clock_now(session: Session) -> datetime:
    """Now on the election clock (logistics/queries/election_clock.py): a drill's simulated time while a drill
    is in progress, else the wall clock."""
    from logistics.queries.election_clock import on_drill_clock

    return on_drill_clock(session, utcnow())


def step_time(at: datetime | None, field: str = "at", *, session: Session) -> datetime:
    """When a step happened, on the election clock (`clock_now`): an aware time no later than now (+ skew)
    when given; else the moment the submission was tapped (bounded, logistics/rules/tapped.py) or, failing
    that, happened (the unit of work's `happened_at`: a drill event's due moment); else now."""
    from logistics.queries.election_clock import on_drill_clock

    if at is None:
        uow = unit_of_work.active(session)
        wall = (uow.tapped.at if uow is not None and uow.tapped is not None
                else uow.happened_at if uow is not None and uow.happened_at is not None else utcnow())
        return on_drill_clock(session, wall)
    try:
        at = as_utc(at)
    except ValueError:
        raise ValidationFailed(lazy_gettext("Waktu tanpa zona waktu"), {field: lazy_gettext("Sertakan zona waktu.")})
    if at > clock_now(session) + MAX_SKEW:  # phones' clocks drift a little
        raise ValidationFailed(lazy_gettext("Waktu di masa depan"),
                               {field: lazy_gettext("Waktu tidak boleh di masa depan.")})
    return at


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


# Never in the audit trail: bulky (boundary), redundant (timestamps) or secret (audit entries are kept forever).
_NOT_AUDITED = ("created_at", "updated_at", "boundary", "password_hash", "secret")  # secret: a webhook's signing key


def snapshot(record) -> dict:
    """The record's column values as JSON-safe data, for the audit trail."""
    mapper = inspect(record).mapper
    return {attr.key: _plain(getattr(record, attr.key)) for attr in mapper.column_attrs
            if attr.key not in _NOT_AUDITED}


def audit(session: Session, actor: Actor, action: str, record, before: dict | None, *, removed: bool = False,
          extra: dict | None = None) -> None:
    """Append one audit entry; call after changing `record` (or before deleting it, `removed=True`).
    `extra`: what the change carried beyond the record's columns (a correction's reason), kept in `after`."""
    if record.id is None:
        session.flush()  # a new record needs its id; a changed one is flushed with the service's commit
    # The entry's row is handed to the unit of work, which writes it at its commit with the submission's key
    # and data versions (one statement on PostgreSQL: logistics/services/commit_writes.py): an entry is never
    # read back or changed, so it needs no ORM object, identity map or flush bookkeeping, nor a statement of
    # its own (part of every post's cost, docs/PERFORMANCE.md). It commits or is forgotten with the change.
    uow = unit_of_work.required(session, "an audited change")
    tapped = uow.tapped
    commit_writes.hold_audit(session, uow.changes.audit_rows, {
        "at": utcnow(), "tapped_at": tapped.claimed if tapped else None, "tapped_note": tapped.note if tapped else None,
        "actor_id": actor.user_id, "actor_label": actor.label, "action": action,
        "entity_type": record.__tablename__, "entity_id": record.id, "before": before,
        "after": None if removed else {**snapshot(record), **(extra or {}), **(uow.via or {})},
    })
    # Counted as a post (siaga.observability's posts per minute) only if the unit of work commits.
    uow.changes.audited.append(action)


def commit(session: Session) -> None:
    """End the service's change. In the unit of work the service opened for itself (`in_unit_of_work`: a
    CLI command, an importer, a test) commit it; in its caller's (an idempotent request, a drill event)
    only flush it, so the caller commits the change together with what else belongs to the same
    submission (its events, idempotency record and stored response). Outside any: OutsideUnitOfWork."""
    uow = unit_of_work.required(session, "a service's commit")
    try:
        if uow.own_commits:
            uow.commit()
        else:
            session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(lazy_gettext("Data bertentangan dengan data yang sudah ada")) from exc


# A correction's (or a skipped step's) reason, kept in the audit entry: as long as a failure reason.
CORRECTION_REASON_MAX = 240


def correction_reason(reason: str | None, errors: dict[str, str]) -> str:
    """A correction's reason, stripped; a missing or overlong one is recorded in `errors["reason"]`."""
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = lazy_gettext("Alasan koreksi wajib diisi.")
    elif len(reason) > CORRECTION_REASON_MAX:
        errors["reason"] = lazy_gettext("Alasan paling banyak {n} huruf.", n=CORRECTION_REASON_MAX)
    return reason
