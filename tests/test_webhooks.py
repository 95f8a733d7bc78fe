"""Signed partner webhooks from the events outbox, against a real HTTP receiver that verifies each request the
way the Standard Webhooks spec says, with the standard library only (hmac, hashlib, base64): the signature over
`id.timestamp.body`, a timestamp within 5 minutes, and the webhook-id once (replay protection)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, update

from logistics.actor import Actor
from logistics.errors import ValidationFailed
from logistics.models import AuditEntry, EventDelivery, OutboxEvent, WebhookAttempt
from logistics.services.api_tokens import create_token
from logistics.services.incidents import report_incident
from logistics.services.webhooks import create_subscription, disable_subscription
from logistics.timeutil import utcnow
from siaga.worker import outbox
from siaga.worker.webhooks import WebhookChannel, signed_headers
from tests.worker_passes import passes_until_idle

TOLERANCE_S = 5 * 60


def verify(secret: str, headers, body: bytes, seen: set[str]) -> dict:
    """A receiver's check, per the spec, without the standardwebhooks package."""
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > TOLERANCE_S:
        raise ValueError("timestamp too old or too new")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    if not any(hmac.compare_digest(expected, o) for o in offered):
        raise ValueError("bad signature")
    if msg_id in seen:
        raise LookupError("replay")
    seen.add(msg_id)
    return json.loads(body)


class Receiver:
    def __init__(self):
        self.secret: str | None = None
        self.accepted: list[dict] = []
        self.rejected: list[str] = []
        self.seen: set[str] = set()
        self.answers: list[int] = []  # statuses to answer first (then 200)

    def handle(self, headers, body: bytes) -> int:
        if self.answers:
            return self.answers.pop(0)
        try:
            self.accepted.append(verify(self.secret, headers, body, self.seen))
            return 204
        except LookupError:
            return 200  # a repeat: acknowledged, not processed twice
        except ValueError as exc:
            self.rejected.append(str(exc))
            return 401


@pytest.fixture()
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(state.handle(self.headers, body))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/siaga-hook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture()
def pending_only_new(session):
    session.execute(update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
    session.commit()


ADMIN = Actor.system("test")


def subscribe(session, receiver, kinds=("incident.reported",), scopes=("read:incidents",)):
    create_token(session, ADMIN, scopes=list(scopes), agency="Dinkes")
    subscription, secret = create_subscription(session, ADMIN, agency="Dinkes", url=receiver.url, kinds=list(kinds))
    receiver.secret = secret
    return subscription


def deliver(session, monkeypatch):
    monkeypatch.setattr(outbox, "RETRY_AFTER", timedelta(0))
    return passes_until_idle(session, [WebhookChannel(timeout=5)])


def test_an_event_reaches_the_partner_signed_once_without_personal_data(session, actor_for, receiver,
                                                                         pending_only_new, monkeypatch):
    subscription = subscribe(session, receiver)
    petugas = actor_for("petugas")
    incident = report_incident(session, petugas, patient_kind="officer", complaint="pingsan", triage="merah",
                               tps_id=petugas.tps_id, patient_name="Siti Aminah", notes="tidak sadar")
    deliver(session, monkeypatch)
    deliver(session, monkeypatch)  # a second pass sends nothing again

    assert receiver.rejected == []
    assert len(receiver.accepted) == 1
    message = receiver.accepted[0]
    assert message["type"] == "incident.reported"
    assert message["data"]["entity_id"] == incident.id and message["data"]["triage"] == "merah"
    text = json.dumps(message)
    assert "Siti" not in text and "pingsan" not in text and "sadar" not in text
    attempt = session.scalar(select(WebhookAttempt).where(WebhookAttempt.subscription_id == subscription.id))
    assert attempt.ok and attempt.status_code == 204 and attempt.message_id == f"msg_{message['data']['event_id']}"
    # The secret is never in the audit trail.
    assert all(receiver.secret not in json.dumps(e.after or {}) for e in session.scalars(select(AuditEntry)))


def test_a_failing_receiver_is_retried_with_the_same_id_and_logged(session, actor_for, receiver, pending_only_new,
                                                                   monkeypatch):
    subscription = subscribe(session, receiver)
    receiver.answers = [500, 503]
    petugas = actor_for("petugas")
    report_incident(session, petugas, patient_kind="voter", complaint="pusing", triage="hijau", tps_id=petugas.tps_id)
    for _ in range(3):
        deliver(session, monkeypatch)
    attempts = session.scalars(select(WebhookAttempt).where(WebhookAttempt.subscription_id == subscription.id)
                               .order_by(WebhookAttempt.id)).all()
    assert [a.status_code for a in attempts] == [500, 503, 204]
    assert len({a.message_id for a in attempts}) == 1
    assert len(receiver.accepted) == 1
    row = session.scalar(select(EventDelivery).where(EventDelivery.channel == "webhook"))
    assert row.status == "sent" and row.attempts == 3


def test_a_receiver_answering_410_disables_the_subscription(session, actor_for, receiver, pending_only_new, monkeypatch):
    subscription = subscribe(session, receiver)
    receiver.answers = [410]
    petugas = actor_for("petugas")
    report_incident(session, petugas, patient_kind="voter", complaint="pusing", triage="hijau", tps_id=petugas.tps_id)
    deliver(session, monkeypatch)
    session.refresh(subscription)
    assert subscription.disabled_at is not None and subscription.disabled_reason == "gone"
    report_incident(session, petugas, patient_kind="voter", complaint="lelah", triage="hijau", tps_id=petugas.tps_id)
    deliver(session, monkeypatch)
    assert receiver.accepted == []


def test_kinds_and_scopes_decide_who_hears(session, actor_for, receiver, pending_only_new, monkeypatch):
    subscribe(session, receiver, kinds=("delivery.received",), scopes=("read:deliveries",))
    petugas = actor_for("petugas")
    report_incident(session, petugas, patient_kind="voter", complaint="pusing", triage="hijau", tps_id=petugas.tps_id)
    deliver(session, monkeypatch)
    assert receiver.accepted == []
    with pytest.raises(ValidationFailed) as refused:  # Dinkes has no read:tps
        create_subscription(session, ADMIN, agency="Dinkes", url=receiver.url, kinds=["tps.stepped"])
    assert "kinds" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        create_subscription(session, ADMIN, agency="Dinkes", url="http://partner.example/hook", kinds=["delivery.received"])
    assert "url" in refused.value.fields


def test_a_disabled_subscription_hears_nothing(session, actor_for, receiver, pending_only_new, monkeypatch):
    subscription = subscribe(session, receiver)
    disable_subscription(session, ADMIN, subscription.id)
    petugas = actor_for("petugas")
    report_incident(session, petugas, patient_kind="voter", complaint="pusing", triage="hijau", tps_id=petugas.tps_id)
    deliver(session, monkeypatch)
    assert receiver.accepted == []


def test_signature_matches_the_specs_example():
    """The Standard Webhooks spec's test vector (its reference libraries' tests)."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    payload = '{"test": 2432232314}'
    at = datetime.fromtimestamp(1614265330, timezone.utc)
    headers = signed_headers(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", at, payload)
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert headers["webhook-timestamp"] == "1614265330"
