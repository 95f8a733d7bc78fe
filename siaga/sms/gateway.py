"""What Siaga needs of an SMS gateway, whoever provides it: send a text, and read the gateway's webhooks
(an SMS received, the status of one sent) after checking they come from it.

A second provider is one more class with these two methods and one more name in `gateway_for`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from flask import Flask


class BadSignature(Exception):
    """The webhook is not the gateway's: no signature, a wrong one, or one too old (a replay)."""


class BadWebhook(Exception):
    """Signed, but not a body we can read (the gateway changed its format, or a bug)."""


@dataclass(frozen=True)
class Sent:
    gateway_id: str  # the gateway's id for the message: its status callbacks name it
    state: str       # as the gateway said when it took it (e.g. "Pending")


@dataclass(frozen=True)
class Inbound:
    """An SMS the gateway's phone received."""
    message_id: str  # the idempotency key: the same SMS delivered again has the same id
    phone: str       # the sender, as the gateway wrote it
    text: str
    received_at: str | None = None  # the phone's own clock, kept as written


@dataclass(frozen=True)
class StatusUpdate:
    """What became of a message we sent: sent, delivered or failed (with the gateway's reason)."""
    message_id: str
    phone: str
    status: str  # "sent" | "delivered" | "failed"
    reason: str | None = None


@dataclass(frozen=True)
class Ignored:
    """A signed webhook we do not act on (a ping, an event we did not register)."""
    event: str


class SmsGateway(Protocol):
    name: str

    def send(self, number: str, text: str, *, message_id: str | None = None) -> Sent:
        """Hand one SMS to the gateway; raise on any failure (the caller retries)."""

    def read_webhook(self, body: bytes, headers: Mapping[str, str]) -> Inbound | StatusUpdate | Ignored:
        """Check the webhook's signature (BadSignature) and read it (BadWebhook)."""


def gateway_for(app: Flask) -> SmsGateway | None:
    """The configured gateway (SMS_GATEWAY), or None where SMS is off."""
    kind = app.config.get("SMS_GATEWAY", "")
    if not kind:
        return None
    found = app.extensions.get("siaga_sms_gateway")
    if found is None:
        from siaga.sms.smsgate import SmsGate

        if kind == "fake":
            from siaga.sms.fake_gateway import in_process_session

            http = in_process_session(app)
        else:
            http = None
        found = app.extensions["siaga_sms_gateway"] = SmsGate(
            app.config["SMS_GATEWAY_URL"], app.config["SMS_USERNAME"], app.config["SMS_PASSWORD"],
            app.config["SMS_SIGNING_KEY"], http=http)
    return found
