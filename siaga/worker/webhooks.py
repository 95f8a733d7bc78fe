"""The `webhook` channel: each event to every partner subscription of its kind, signed per Standard Webhooks.

Recipients are the active subscriptions (logistics/models/webhook.py) whose kinds hold the event's kind and
whose agency still has the read scope that kind needs (logistics/services/webhooks.py); the ledger key is the
subscription's id, so each (event, subscription) is delivered at most once by the outbox (siaga/worker/outbox.py),
which also retries a failure (up to MAX_ATTEMPTS, backing off RETRY_AFTER × attempts).

The request (https://www.standardwebhooks.com/): `POST` the JSON body `{"type", "timestamp", "data"}` with
`webhook-id` (`msg_<event id>`: the same on every retry, so a receiver drops a repeat), `webhook-timestamp`
(Unix seconds of this try) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with the
subscription's secret), signed by the `standardwebhooks` package. A 2xx is delivered; 410 Gone disables the
subscription (the spec's "stop sending"); anything else, or no answer in SEND_TIMEOUT_S, is retried. Every try
is a `webhook_attempt` row, committed on its own (the outbox rolls back a failed send's transaction).

The body is the event's ids and codes (`OutboxEvent.data`: never a name, a complaint or a phone).
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from logistics.models import OutboxEvent, WebhookAttempt, WebhookSubscription
from logistics.permissions.read_scope import agency_scopes
from logistics.services.webhooks import scope_of
from logistics.timeutil import utcnow
from siaga.worker.channels import Gone, register

# A receiver that does not answer within this: a failure, retried. Short, because the outbox delivers one
# event at a time (siaga/worker/outbox.py): a slow partner must not hold back a merah's push for long.
SEND_TIMEOUT_S = 5
USER_AGENT = "Siaga-TPS-Webhooks/1"


def message_id(event: OutboxEvent) -> str:
    return f"msg_{event.id}"


def body(event: OutboxEvent) -> str:
    """The JSON body: the event's kind, when it happened, and its ids and codes."""
    data = {"event_id": event.id, "entity_type": event.entity_type, "entity_id": event.entity_id,
            "kecamatan_id": event.kecamatan_id, **(event.data or {})}
    return json.dumps({"type": event.kind, "timestamp": event.occurred_at.isoformat(), "data": data},
                      separators=(",", ":"), ensure_ascii=False)


def signed_headers(secret: str, msg_id: str, at: datetime, payload: str) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, at, payload),
            "content-type": "application/json", "user-agent": USER_AGENT}


class WebhookChannel:
    name = "webhook"

    def __init__(self, timeout: float = SEND_TIMEOUT_S):
        self.timeout = timeout
        self.http = requests.Session()

    def recipients(self, session: Session, event: OutboxEvent) -> list[str]:
        subscriptions = session.scalars(select(WebhookSubscription).where(
            WebhookSubscription.disabled_at.is_(None)).order_by(WebhookSubscription.id)).all()
        needed = scope_of(event.kind)
        scopes: dict[str, frozenset[str]] = {}
        found = []
        for subscription in subscriptions:
            if event.kind not in subscription.kinds:
                continue
            if subscription.agency not in scopes:
                scopes[subscription.agency] = agency_scopes(session, subscription.agency)
            if needed in scopes[subscription.agency]:
                found.append(str(subscription.id))
        return found

    def send(self, session: Session, event: OutboxEvent, recipient: str) -> None:
        subscription = session.get(WebhookSubscription, int(recipient))
        if subscription is None or subscription.disabled_at is not None:
            raise Gone(recipient)
        msg_id, payload = message_id(event), body(event)
        at = datetime.now(timezone.utc)
        started = time.monotonic()
        status, error = None, None
        try:
            response = self.http.post(subscription.url, data=payload.encode(), timeout=self.timeout,
                                      headers=signed_headers(subscription.secret, msg_id, at, payload),
                                      allow_redirects=False)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"answered {status}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
        _log(session, subscription.id, event.id, msg_id, status, error, started)
        if status == 410:
            raise Gone(recipient)
        if error:
            raise RuntimeError(error)

    def drop(self, session: Session, recipient: str) -> None:
        subscription = session.get(WebhookSubscription, int(recipient))
        if subscription is not None and subscription.disabled_at is None:
            subscription.disabled_at, subscription.disabled_reason = utcnow(), "gone"


def _log(session: Session, subscription_id: int, event_id: int, msg_id: str, status: int | None,
         error: str | None, started: float) -> None:
    """One row of the delivery log, committed now: a failed send's transaction is rolled back after."""
    session.add(WebhookAttempt(subscription_id=subscription_id, event_id=event_id, message_id=msg_id, at=utcnow(),
                               status_code=status, ok=error is None, error=error,
                               duration_ms=int((time.monotonic() - started) * 1000)))
    session.commit()


@register
def webhook_channel(app: Flask) -> WebhookChannel:
    return WebhookChannel(float(app.config.get("WEBHOOK_TIMEOUT_S", SEND_TIMEOUT_S)))
