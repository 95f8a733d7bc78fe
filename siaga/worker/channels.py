"""Delivery channels: how the worker hands an event to a person (Web Push, SMS) or a partner (webhooks).

A channel names its recipients for an event (a push subscription, a phone number: a string unique within
the channel) and sends to one. `send` raises `Gone` when the recipient no longer exists (a push endpoint
answering 404/410: the subscription is dropped, never retried) and any other exception for a failure
worth retrying. The worker records each (event, channel, recipient) before sending (siaga/worker/outbox.py).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from flask import Flask
from sqlalchemy.orm import Session

from logistics.models import OutboxEvent


class Gone(Exception):
    """The recipient is gone for good (e.g. a push endpoint answered 404 or 410)."""


class Channel(Protocol):
    name: str  # at most 20 characters (event_delivery.channel)

    def recipients(self, session: Session, event: OutboxEvent) -> Iterable[str]:
        """Who on this channel hears of the event (each at most 120 characters)."""

    def send(self, session: Session, event: OutboxEvent, recipient: str) -> None:
        """Deliver now; raise Gone, or any other exception to be retried later."""

    def drop(self, session: Session, recipient: str) -> None:
        """Forget a recipient that is Gone (in the caller's transaction)."""


# Factories, each taking the app and returning a channel, or None where the channel is not configured.
FACTORIES: list = []


def register(factory):
    """Declare a channel: `@register` on a function (app) -> Channel | None."""
    FACTORIES.append(factory)
    return factory


def channels_for(app: Flask) -> list[Channel]:
    return [channel for channel in (factory(app) for factory in FACTORIES) if channel is not None]


def all_of(kinds: Iterable) -> frozenset[str]:
    return frozenset(getattr(k, "value", k) for k in kinds)


from siaga.worker import sms, webhooks, webpush  # noqa: E402,F401  (registers the channels)
