"""SMS Gateway for Android (sms-gate.app, github.com/capcom6/android-sms-gateway): an Android phone with a
local SIM that sends and receives SMS for us.

- Sending: `POST {url}/message` with HTTP Basic auth (the username and password the app shows), body
  `{"id", "textMessage": {"text"}, "phoneNumbers": [...], "withDeliveryReport": true}`; it answers 202 with
  `{"id", "state": "Pending", "recipients": [{"phoneNumber", "state"}]}`. `{url}` is the phone itself in
  Local mode (`http://192.168.1.10:8080`) or the server in Private/Cloud mode
  (`https://api.sms-gate.app/3rdparty/v1`); both take the same body. A message id the gateway already
  holds is refused with 409 Conflict (its server's "duplicate id"): our ids are derived from what is
  sent, so a repeated send is not sent twice.
- Webhooks (registered on the gateway for `sms:received`, `sms:sent`, `sms:delivered`, `sms:failed`, each
  pointing at /sms/webhook): `{"deviceId", "event", "id", "webhookId", "payload": {"messageId",
  "phoneNumber", "message" | "sentAt" | "deliveredAt" | "failedAt" + "reason", ...}}`.
- Signature: `X-Signature` is the hex HMAC-SHA256, under the signing key set in the app (Settings →
  Webhooks → Signing Key), of the raw body followed by `X-Timestamp` (Unix seconds). We refuse a timestamp
  more than MAX_AGE_S from our clock (the gateway's own advice: a replayed webhook is refused).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

import requests

from siaga.sms.gateway import BadSignature, BadWebhook, Ignored, Inbound, Sent, StatusUpdate

MAX_AGE_S = 300  # ±5 minutes, as the gateway's documentation advises
SEND_TIMEOUT_S = 10
SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
STATUS_EVENTS = {"sms:sent": "sent", "sms:delivered": "delivered", "sms:failed": "failed"}


def signature(key: str, body: bytes, timestamp: str) -> str:
    """The gateway's signature of a webhook: hex HMAC-SHA256(key, body + timestamp)."""
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def verify(key: str, body: bytes, headers: Mapping[str, str], *, now: float | None = None,
           max_age_s: int = MAX_AGE_S) -> None:
    """Raise BadSignature unless the headers sign `body` with `key`, recently."""
    given, stamp = headers.get(SIGNATURE_HEADER, ""), headers.get(TIMESTAMP_HEADER, "")
    if not key:
        raise BadSignature("no signing key configured")  # never trust an unsigned webhook
    if not given or not stamp:
        raise BadSignature("signature or timestamp missing")
    try:
        moment = int(stamp)
    except ValueError:
        raise BadSignature("timestamp not a number") from None
    if abs((time.time() if now is None else now) - moment) > max_age_s:
        raise BadSignature("timestamp too old or in the future")
    if not hmac.compare_digest(signature(key, body, stamp), given.strip().lower()):
        raise BadSignature("signature does not match")


class SmsGate:
    name = "smsgate"

    def __init__(self, url: str, username: str, password: str, signing_key: str,
                 http: requests.Session | None = None):
        self.url = url.rstrip("/")
        self.auth = (username, password)
        self.signing_key = signing_key
        self.http = http or requests.Session()

    def send(self, number: str, text: str, *, message_id: str | None = None) -> Sent:
        body: dict = {"textMessage": {"text": text}, "phoneNumbers": [number], "withDeliveryReport": True}
        if message_id:
            body["id"] = message_id
        answer = self.http.post(f"{self.url}/message", json=body, auth=self.auth, timeout=SEND_TIMEOUT_S)
        if answer.status_code == 409 and message_id:
            # The gateway already holds a message with our id: this is a send repeated after a crash
            # between sending and recording; the first one stands.
            return Sent(gateway_id=message_id, state="Duplicate")
        if answer.status_code not in (200, 201, 202):
            raise RuntimeError(f"SMS gateway answered {answer.status_code}")
        data = answer.json()
        return Sent(gateway_id=str(data.get("id") or message_id or ""), state=str(data.get("state") or ""))

    def read_webhook(self, body: bytes, headers: Mapping[str, str]) -> Inbound | StatusUpdate | Ignored:
        verify(self.signing_key, body, headers)
        try:
            envelope = json.loads(body)
            event, payload = envelope["event"], envelope.get("payload") or {}
            if event == "sms:received":
                return Inbound(message_id=str(payload["messageId"]), phone=str(payload["phoneNumber"]),
                               text=str(payload.get("message") or ""), received_at=payload.get("receivedAt"))
            if event in STATUS_EVENTS:
                return StatusUpdate(message_id=str(payload["messageId"]), phone=str(payload.get("phoneNumber") or ""),
                                    status=STATUS_EVENTS[event], reason=payload.get("reason"))
            return Ignored(str(event))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BadWebhook(str(exc)[:100]) from None
