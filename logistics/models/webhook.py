"""Partner webhooks: an agency's subscription to event kinds, and the log of every delivery attempt.

The worker's `webhook` channel (siaga/worker/webhooks.py) posts each event of a subscribed kind to the
subscription's URL, signed per Standard Webhooks with the subscription's secret; the outbox's ledger
(`event_delivery`, recipient = the subscription's id) keeps it at most once per (event, subscription), and
each try is a `webhook_attempt` row (the delivery log an operator and the partner look at).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models.base import Base, UTCDateTime
from logistics.timeutil import utcnow

URL_MAX = 500


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(String(60), index=True)
    url: Mapped[str] = mapped_column(String(URL_MAX))
    # The signing key, `whsec_` + base64 of 32 random bytes: shown once to the partner, kept to sign (an HMAC
    # needs the key itself, unlike a token, of which only a hash is kept). Never audited or logged.
    secret: Mapped[str] = mapped_column(String(80))
    kinds: Mapped[list] = mapped_column(JSON)  # event kinds (logistics.events.EventKind values)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Revoked by an admin, or the receiver answered 410 Gone (Standard Webhooks: stop sending).
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(40))


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str] = mapped_column(String(40))  # the webhook-id header: the same on every retry
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)  # None: no answer (timeout, refused)
    ok: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_webhook_attempt_subscription_id_at", "subscription_id", "at"),)
