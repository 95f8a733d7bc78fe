"""The SMS Gateway for Android adapter against the local fake gateway: sending with Basic auth, reading
webhooks, and refusing any webhook not signed with the key, recently."""
from __future__ import annotations

import time

import pytest

from siaga.sms.fake_gateway import FakeGateway, in_process_session
from siaga.sms.gateway import BadSignature, BadWebhook, Ignored, Inbound, StatusUpdate
from siaga.sms.smsgate import SmsGate, signature, verify

URL = "http://fake-sms-gateway"


@pytest.fixture()
def fake_app():
    from flask import Flask

    app = Flask("fake")
    app.config.update(SMS_GATEWAY_URL=URL, SMS_USERNAME="siaga", SMS_PASSWORD="pw", SMS_SIGNING_KEY="key")
    return app


def _gate(app, password="pw", key="key"):
    return SmsGate(URL, "siaga", password, key, http=in_process_session(app))


def test_send_posts_the_gateways_body_with_basic_auth(fake_app):
    from siaga.sms.fake_gateway import fake_for

    sent = _gate(fake_app).send("+6281234567890", "Halo", message_id="abc12345")
    assert sent.gateway_id == "abc12345" and sent.state == "Pending"
    assert [{k: v for k, v in m.items() if k != "at"} for m in fake_for(fake_app).sent] == [
        {"id": "abc12345", "text": "Halo", "phoneNumbers": ["+6281234567890"]}]


def test_a_send_repeated_with_the_same_id_is_taken_once(fake_app):
    from siaga.sms.fake_gateway import fake_for

    gate = _gate(fake_app)
    gate.send("+62812", "Halo", message_id="same-id-1")
    assert gate.send("+62812", "Halo", message_id="same-id-1").gateway_id == "same-id-1"
    assert len(fake_for(fake_app).sent) == 1


def test_a_wrong_login_or_a_down_gateway_raises(fake_app):
    from siaga.sms.fake_gateway import fake_for

    with pytest.raises(RuntimeError, match="401"):
        _gate(fake_app, password="wrong").send("+62812", "Halo")
    fake_for(fake_app).fail_next = 1
    with pytest.raises(RuntimeError, match="500"):
        _gate(fake_app).send("+62812", "Halo")
    assert fake_for(fake_app).sent == []


def test_signature_is_hmac_sha256_of_body_then_timestamp():
    # The documented example: hex HMAC-SHA256(key, raw body + X-Timestamp).
    import hashlib
    import hmac

    body, stamp = b'{"event":"sms:received"}', "1700000000"
    assert signature("k", body, stamp) == hmac.new(b"k", body + stamp.encode(), hashlib.sha256).hexdigest()


def test_webhooks_good_bad_missing_and_stale():
    fake = FakeGateway("u", "p", "key")
    gate = SmsGate(URL, "u", "p", "key")
    body, headers = fake.received("081234567890", "HADIR 6", message_id="m1")
    assert gate.read_webhook(body, headers) == Inbound("m1", "081234567890", "HADIR 6", _received(body))
    with pytest.raises(BadSignature):  # another key
        gate.read_webhook(*fake.received("0812", "BUKA", key="other"))
    with pytest.raises(BadSignature):  # the body changed after signing
        gate.read_webhook(body.replace(b"HADIR 6", b"HADIR 9"), headers)
    with pytest.raises(BadSignature):  # no headers at all
        gate.read_webhook(body, {})
    with pytest.raises(BadSignature):  # replayed after the max age
        gate.read_webhook(*fake.received("0812", "BUKA", timestamp=int(time.time()) - 301))
    with pytest.raises(BadSignature):  # no key configured: nothing is trusted
        verify("", body, headers)
    with pytest.raises(BadSignature):
        gate.read_webhook(body, headers | {"X-Timestamp": "soon"})


def test_status_callbacks_and_other_events_are_read():
    fake = FakeGateway("u", "p", "key")
    gate = SmsGate(URL, "u", "p", "key")
    assert gate.read_webhook(*fake.status("sms:delivered", "g1", "+62812")) == StatusUpdate("g1", "+62812", "delivered")
    assert gate.read_webhook(*fake.status("sms:failed", "g1", "+62812", reason="RESULT_ERROR")).reason == "RESULT_ERROR"
    assert gate.read_webhook(*fake.webhook("system:ping", {"health": {}})) == Ignored("system:ping")
    with pytest.raises(BadWebhook):
        gate.read_webhook(*fake.webhook("sms:received", {"message": "no id"}))


def _received(body: bytes) -> str:
    import json

    return json.loads(body)["payload"]["receivedAt"]
