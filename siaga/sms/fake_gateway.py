"""A local stand-in for SMS Gateway for Android with the same API (siaga/sms/smsgate.py): the tests and the
demo (SMS_GATEWAY=fake) send through it and it posts webhooks signed as the real one does.

- `POST /message` (and `/messages`) with HTTP Basic auth: records the message, answers 202 with the
  gateway's shape; a wrong login is a 401, a body without text or numbers a 400.
- `webhook(event, payload)`: the signed body and headers the real gateway would post for an
  `sms:received`, `sms:sent`, `sms:delivered` or `sms:failed`.
In-process (`in_process_session`) the adapter's `requests` calls reach it without a socket; the demo's
`flask sms-simulate` posts its webhooks to the app the same way. `serve` puts it on a real port, for a
worker in another process (SMS_GATEWAY=smsgate, SMS_GATEWAY_URL=its address): the worker-kill test and
bench/sms_latency.py count what reached it.
"""
from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests
from flask import Flask
from requests.adapters import BaseAdapter
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from siaga.sms.smsgate import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

DEVICE_ID = "fake0000siaga0000device"
log = logging.getLogger("siaga.sms.fake")


@dataclass
class FakeGateway:
    username: str
    password: str
    signing_key: str
    sent: list[dict] = field(default_factory=list)
    fail_next: int = 0  # answer the next n sends with a 500 (a phone offline)
    delay_s: float = 0.0  # how long the phone takes to take a message (the worker-kill test's pace)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # served by several threads

    def wsgi(self, environ, start_response):
        request = Request(environ)
        response = self._answer(request)
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        if request.method != "POST" or request.path.rstrip("/") not in ("/message", "/messages"):
            return _json({"message": "not found"}, 404)
        if not self._authorised(request.headers.get("Authorization", "")):
            return _json({"message": "Unauthorized"}, 401)
        if self.delay_s:
            time.sleep(self.delay_s)
        with self.lock:
            return self._take(request)

    def _take(self, request: Request) -> Response:
        if self.fail_next > 0:
            self.fail_next -= 1
            return _json({"message": "device offline"}, 500)
        try:
            body = json.loads(request.get_data() or b"{}")
            text = (body.get("textMessage") or {}).get("text") or body.get("message")
            numbers = body["phoneNumbers"]
        except (ValueError, KeyError, AttributeError, TypeError):
            return _json({"message": "bad request"}, 400)
        if not text or not isinstance(numbers, list) or not numbers:
            return _json({"message": "bad request"}, 400)
        message_id = str(body.get("id") or secrets.token_urlsafe(15))
        if any(m["id"] == message_id for m in self.sent):
            return _json({"message": "message with this id already exists"}, 409)
        self.sent.append({"id": message_id, "text": text, "phoneNumbers": numbers, "at": time.time()})
        log.info("fake SMS gateway sends to %s: %s", ", ".join(map(str, numbers)), text)
        return _json({"id": message_id, "deviceId": DEVICE_ID, "state": "Pending", "isHashed": False,
                      "isEncrypted": False, "recipients": [{"phoneNumber": n, "state": "Pending"} for n in numbers]},
                     202)

    def _authorised(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, self.username) and secrets.compare_digest(password, self.password)

    def webhook(self, event: str, payload: dict, *, timestamp: int | None = None,
                key: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the gateway's webhook for `event` (signed with our key unless told)."""
        body = json.dumps({"deviceId": DEVICE_ID, "event": event, "id": secrets.token_urlsafe(15),
                           "payload": payload, "webhookId": f"siaga-{event}"}).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        return body, {"Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
                      SIGNATURE_HEADER: signature(self.signing_key if key is None else key, body, stamp)}

    def received(self, phone: str, text: str, message_id: str | None = None, **kw) -> tuple[bytes, dict]:
        return self.webhook("sms:received", {
            "messageId": message_id or secrets.token_hex(8), "message": text, "phoneNumber": phone,
            "simNumber": 1, "receivedAt": _now()}, **kw)

    def status(self, event: str, message_id: str, phone: str, reason: str | None = None) -> tuple[bytes, dict]:
        moment = {"sms:sent": "sentAt", "sms:delivered": "deliveredAt", "sms:failed": "failedAt"}[event]
        payload = {"messageId": message_id, "phoneNumber": phone, "simNumber": None, moment: _now()}
        if reason is not None:
            payload["reason"] = reason
        return self.webhook(event, payload)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _json(data: dict, status: int) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


class _WsgiAdapter(BaseAdapter):
    """A `requests` transport that hands the request to a WSGI callable in this process."""

    def __init__(self, wsgi):
        super().__init__()
        self.client = Client(wsgi)

    def send(self, request, **kwargs):
        answer = self.client.open(request.path_url, method=request.method, headers=dict(request.headers),
                                  data=request.body or b"")
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers.update(answer.headers)
        response.raw = io.BytesIO(answer.get_data())
        response._content = answer.get_data()
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def serve(gateway: FakeGateway, host: str = "127.0.0.1", port: int = 0):
    """Serve `gateway` over HTTP on a thread; the server (`.url` its address; `.shutdown()` to stop)."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # the fake's own log says what was sent
            pass

    server = make_server(host, port, gateway.wsgi, threaded=True, request_handler=Quiet)
    server.url = f"http://{host}:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def fake_for(app: Flask) -> FakeGateway:
    """The app's one fake gateway (its login and key from the SMS_* settings)."""
    found = app.extensions.get("siaga_fake_sms")
    if found is None:
        if not log.handlers:  # the demo shows what "went out" on the worker's console
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
        found = app.extensions["siaga_fake_sms"] = FakeGateway(
            app.config["SMS_USERNAME"], app.config["SMS_PASSWORD"], app.config["SMS_SIGNING_KEY"])
    return found


def text_app(app: Flask, phone: str, text: str, message_id: str | None = None) -> dict:
    """An SMS from `phone` as the fake gateway's phone would pass it on: its signed webhook posted to `app` in
    process (`flask sms-simulate`, the drill's SMS-reporting TPS). The webhook's answer; raises unless 200."""
    body, headers = fake_for(app).received(phone, text, message_id=message_id)
    answer = app.test_client().post("/sms/webhook", data=body, headers=headers)
    if answer.status_code != 200:
        raise RuntimeError(f"the webhook answered {answer.status_code}: {answer.get_data(as_text=True)[:200]}")
    return answer.get_json()


def in_process_session(app: Flask) -> requests.Session:
    http = requests.Session()
    http.mount(app.config["SMS_GATEWAY_URL"].rstrip("/") + "/", _WsgiAdapter(fake_for(app).wsgi))
    return http
