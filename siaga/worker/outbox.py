"""Delivering the outbox: each event to each recipient of each channel, at most once, nothing lost.

One pass (`deliver_pending`) reads the events not yet dispatched, urgent ones first, oldest first. For each recipient a
channel names, it first *claims* the (event, channel, recipient) by inserting an `event_delivery` row and
committing; only the inserter sends, and then records `sent`, `gone` or `failed`. So:
- a pass that is killed (kill -9) and started again never sends a claimed delivery a second time, except
  one claimed but not yet recorded when the process died (the send may or may not have happened): that
  one is sent again after CLAIM_TIMEOUT; push payloads carry the event id as their tag, so the phone
  shows it once even then;
- a failed send is retried up to MAX_ATTEMPTS times, RETRY_AFTER × attempts apart;
- on PostgreSQL several worker processes share the outbox: a pass locks the events it takes, LOCK_CHUNK at
  a time (`FOR NO KEY UPDATE SKIP LOCKED`, on a connection of its own, held until it has marked them
  dispatched) and the others' passes skip those and take the next ones. A process killed mid-pass loses its
  connection and so its locks at once: its events are taken by the next pass anywhere, and its deliveries
  claimed but not recorded are sent after CLAIM_TIMEOUT as above. The lock only shares the work out; at most
  once is the ledger's unique key, which decides between two claimants whatever the locks do. (NO KEY: a
  delivery's row references its event, and that foreign key's check takes a KEY SHARE lock on the event,
  which FOR UPDATE would block.)
An event is dispatched (`dispatched_at`) once every delivery it has is in an end state (sent, gone, or
failed MAX_ATTEMPTS times); until then each pass looks at it again, and its recipients are named again
(a phone subscribed meanwhile hears of it too).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from logistics.models import EventDelivery, OutboxEvent
from logistics.timeutil import as_utc, utcnow
from siaga.sqlite_writes import as_reader
from siaga.worker.channels import Channel, Gone

log = logging.getLogger("siaga.worker.outbox")
BATCH = 200
# A pass stops taking routine events after this long, so a merah raised meanwhile waits at most about this
# (plus the job's interval) behind a backlog, not a whole batch's worth (bench/event_latency.py).
ROUTINE_BUDGET_S = 0.25
# Several worker processes: a pass locks this many events at a time and frees them once marked dispatched,
# so the events a pass will not reach before its time is up stay free for the others' passes.
LOCK_CHUNK = 25
MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(seconds=5)
# A claim older than this without a result: its sender died (longer than any send, siaga/worker/webpush.py's
# SEND_TIMEOUT_S; OUTBOX_CLAIM_TIMEOUT_S sets it, e.g. shorter for the worker-kill test).
CLAIM_TIMEOUT = timedelta(seconds=60)
END_STATES = frozenset({"sent", "gone"})
DELIVERIES = EventDelivery.__table__


@dataclass
class PassReport:
    events: int = 0
    sent: int = 0
    gone: int = 0
    failed: int = 0
    dispatched: int = 0
    more: bool = False  # events left that this pass could have taken (its batch full, its time up)


def deliver_pending(session: Session, channels: list[Channel], *, batch: int = BATCH,
                    claim_timeout: timedelta = CLAIM_TIMEOUT, lock_events: bool = False) -> PassReport:
    """One pass. `lock_events` (PostgreSQL, several worker processes): take only events no other pass holds,
    LOCK_CHUNK at a time, each chunk held until marked dispatched (the module's docstring)."""
    report = PassReport()
    began = time.time()
    started = time.monotonic()
    locks = session.get_bind().connect() if lock_events else None
    seen: list[int] = []  # this pass's events: one still waiting (a retry) is not taken again by a later chunk
    try:
        while len(seen) < batch:
            size = min(LOCK_CHUNK if locks is not None else batch, batch - len(seen))
            if locks is not None:
                events = _pending(locks, size, lock=True, seen=seen)  # its transaction ends with the chunk
            else:
                with as_reader():  # most passes find nothing: on SQLite, looking takes no write turn
                    events = _pending(session, size)
                    session.commit()  # read, then each claim is a transaction of its own
            seen += [event.id for event in events]
            done, cut = _deliver_events(session, channels, events, report, claim_timeout, began, started)
            if done:  # one UPDATE; killed before it, the next pass finds them settled and sends nothing
                mark = update(OutboxEvent).where(OutboxEvent.id.in_(done)).values(dispatched_at=utcnow())
                if locks is None:
                    session.execute(mark)
                    session.commit()
                else:
                    locks.execute(mark)
                report.dispatched += len(done)
            if locks is not None:
                locks.commit()  # the chunk's events free: the others' passes may take what this one left
            if cut or len(events) < size:
                report.more = cut
                break
        else:
            report.more = True  # the batch full
    finally:
        if locks is not None:
            locks.close()  # not committed (an error): rolled back, the events free for the next pass
    return report


def _deliver_events(session: Session, channels: list[Channel], events: list, report: PassReport,
                    claim_timeout: timedelta, began: float, started: float) -> tuple[list[int], bool]:
    """Each event to each recipient; the ids of those settled, and whether the routine ones' time ran out."""
    read = time.time()
    done: list[int] = []
    for event in events:
        if not event.urgent and report.events and time.monotonic() - started > ROUTINE_BUDGET_S:
            return done, True  # the rest wait for the next pass, which looks for urgent events first
        report.events += 1
        settled = True
        with as_reader():  # most events concern nobody subscribed: naming them takes no write turn either
            named = [(channel, list(channel.recipients(session, event))) for channel in channels]
            session.rollback()
        for channel, recipients in named:
            for recipient in recipients:
                settled &= _deliver_one(session, channel, event, recipient, report, claim_timeout)
            session.commit()
        if settled:
            done.append(event.id)
        if event.urgent:
            _log_lag(event, began, read)
    return done, False


def _log_lag(event: OutboxEvent, began: float, read: float) -> None:
    """Where an urgent event's time went (bench/event_latency.py reads these lines): from its commit to the
    pass that found it, the pass's read, and its sends."""
    committed = as_utc(event.occurred_at).timestamp()
    log.info("urgent event %d: pass began +%.3f s, read +%.3f s, sent +%.3f s", event.id, began - committed,
             read - committed, time.time() - committed)


def _pending(executor, batch: int, lock: bool = False, seen: list[int] = ()) -> list:
    """Up to `batch` events not yet dispatched: the urgent ones first (a merah waits behind no backlog of
    routine steps), each kind oldest first; two index range scans (ix_outbox_event_pending). Rows with the
    event's columns as attributes, not ORM objects: the pass's commits do not expire them (each would be
    read again, on SQLite in a write turn) and the caller's session keeps its own. `lock`: only events no
    other pass holds, locked until the executor's transaction ends; none of `seen`."""
    table, pending = OutboxEvent.__table__, OutboxEvent.dispatched_at.is_(None)
    if seen:
        pending = and_(pending, OutboxEvent.id.notin_(seen))

    def oldest(urgent: bool, limit: int):
        statement = select(table).where(pending, OutboxEvent.urgent.is_(urgent)).order_by(OutboxEvent.id).limit(limit)
        if lock:
            statement = statement.with_for_update(skip_locked=True, key_share=True)
        return list(executor.execute(statement))

    found = oldest(True, batch)
    if len(found) < batch:
        found += oldest(False, batch - len(found))
    return found


def _deliver_one(session: Session, channel: Channel, event: OutboxEvent, recipient: str, report: PassReport,
                 claim_timeout: timedelta) -> bool:
    """Claim, send and record one delivery; True when it needs nothing more (in an end state)."""
    attempt = _claim(session, channel.name, event.id, recipient, claim_timeout)
    if attempt is None:
        return _settled(session, channel.name, event.id, recipient)
    try:
        channel.send(session, event, recipient)
    except Gone:
        session.rollback()
        channel.drop(session, recipient)
        _record(session, channel.name, event.id, recipient, "gone")
        report.gone += 1
        return True
    except Exception as exc:  # noqa: BLE001 - any failure of a send is retried later
        session.rollback()
        log.warning("delivery of event %s on %s failed: %s", event.id, channel.name, exc)
        _record(session, channel.name, event.id, recipient, "failed", error=str(exc)[:200])
        report.failed += 1
        return attempt >= MAX_ATTEMPTS
    _record(session, channel.name, event.id, recipient, "sent")
    report.sent += 1
    return True


def _claim(session: Session, channel: str, event_id: int, recipient: str, claim_timeout: timedelta) -> int | None:
    """Claim the delivery (committed before any send); its attempt number, or None if it is not ours to send
    now (sent, gone, being sent, failed too often or too recently)."""
    now = utcnow()
    try:
        session.execute(insert(DELIVERIES).values(event_id=event_id, channel=channel, recipient=recipient,
                                                  status="claimed", attempts=1, claimed_at=now))
        session.commit()
        return 1
    except IntegrityError:
        session.rollback()
    row = session.execute(select(DELIVERIES.c.status, DELIVERIES.c.attempts, DELIVERIES.c.claimed_at).where(
        _key(channel, event_id, recipient))).one()
    due = (row.status == "failed" and row.attempts < MAX_ATTEMPTS
           and row.claimed_at <= now - RETRY_AFTER * row.attempts) or (
        row.status == "claimed" and row.claimed_at <= now - claim_timeout and row.attempts < MAX_ATTEMPTS)
    if not due:
        session.rollback()
        return None
    # Conditional on what was read: of two workers retrying at once, one wins.
    taken = session.execute(update(DELIVERIES).where(
        _key(channel, event_id, recipient), DELIVERIES.c.attempts == row.attempts, DELIVERIES.c.status == row.status)
        .values(status="claimed", attempts=row.attempts + 1, claimed_at=now)).rowcount
    session.commit()
    return row.attempts + 1 if taken == 1 else None


def _settled(session: Session, channel: str, event_id: int, recipient: str) -> bool:
    row = session.execute(select(DELIVERIES.c.status, DELIVERIES.c.attempts).where(
        _key(channel, event_id, recipient))).one()
    session.rollback()
    return row.status in END_STATES or (row.status == "failed" and row.attempts >= MAX_ATTEMPTS)


def _record(session: Session, channel: str, event_id: int, recipient: str, status: str, error: str | None = None):
    values = {"status": status, "last_error": error}
    if status == "sent":
        values["sent_at"] = utcnow()
    session.execute(update(DELIVERIES).where(_key(channel, event_id, recipient)).values(**values))
    session.commit()


def _key(channel: str, event_id: int, recipient: str):
    return and_(DELIVERIES.c.event_id == event_id, DELIVERIES.c.channel == channel,
                DELIVERIES.c.recipient == recipient)


_NEWEST_PENDING = select(func.max(OutboxEvent.id)).where(OutboxEvent.dispatched_at.is_(None))


def newest_pending(session: Session) -> int | None:
    """The newest event not yet dispatched, if any: an index range scan of the few pending, as a reader (on
    SQLite no write turn). The worker looks every 0.1 s; most looks find nothing new, and this costs less than
    half an empty pass (docs/PERFORMANCE.md)."""
    with as_reader():
        newest = session.scalar(_NEWEST_PENDING)
        session.rollback()
    return newest


def backlog(session: Session) -> int:
    """Events not yet dispatched (for /healthz and /metrics)."""
    return session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)))


__all__ = ["BATCH", "CLAIM_TIMEOUT", "MAX_ATTEMPTS", "PassReport", "newest_pending", "backlog", "deliver_pending"]
