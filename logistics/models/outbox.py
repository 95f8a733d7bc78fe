"""The events outbox: what happened, written in the same transaction as the change (the transactional outbox).

A service raises a domain event (`logistics.events.raise_event`); it is one row here, inserted with the
change, so a committed post always has its events and a rolled-back one has none. The worker processes
(`flask --app wsgi worker`, siaga/worker/; several on PostgreSQL, sharing the events) read the rows not yet
dispatched, the urgent ones first, in id order, hand each to every channel (Web Push, ...), and record each
(event, channel, recipient) they hand one to in `event_delivery`, whose unique key is what makes a delivery
happen at most once per recipient.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models.base import Base, UTCDateTime


class OutboxEvent(Base):
    """One domain event. `data` holds ids and codes only (never a name or a complaint): it is what a
    notification may say and whom it concerns."""

    __tablename__ = "outbox_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    kecamatan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[dict] = mapped_column(JSON)
    # Raised at most once per key (time-based alerts found again on every scan); NULL for changes.
    dedup_key: Mapped[str | None] = mapped_column(String(120), unique=True, nullable=True)
    # Someone must act on it now (`logistics.events.is_urgent`): delivered before the others.
    urgent: Mapped[bool] = mapped_column(Boolean, server_default=false())
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set by the worker once every channel has been handed the event (its deliveries are recorded).
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_outbox_event_pending", "dispatched_at", "urgent", "id"),)


class EventDelivery(Base):
    """One event handed to one recipient on one channel: claimed before sending, then sent, failed or gone.
    The unique (event, channel, recipient) is what keeps a retried batch from sending twice."""

    __tablename__ = "event_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_event.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10))  # claimed | sent | failed | gone
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (UniqueConstraint("event_id", "channel", "recipient"),
                      Index("ix_event_delivery_status", "status", "claimed_at"))


class WorkerHeartbeat(Base):
    """The worker's sign of life, written every few seconds: /healthz and the dashboard read how old it is."""

    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    host: Mapped[str] = mapped_column(String(120))
    pid: Mapped[int] = mapped_column(Integer)
