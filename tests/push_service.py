"""A local push service (RFC 8030) that checks what a real one checks, for the Web Push tests.

It runs a real HTTP server in a thread. A test makes subscriptions as a browser would (`subscribe()`: a
P-256 key pair and a 16-byte auth secret, the private half kept here as the browser keeps it) and hands
their JSON to the app. For each push it:
- parses `Authorization: vapid t=<jwt>, k=<public key>` (RFC 8292), verifies the ES256 signature of the JWT
  with k, and checks `aud` is the endpoint's origin, `exp` in the future and at most 24 h away, and `sub`
  a mailto: or https: contact;
- requires a TTL header and `Content-Encoding: aes128gcm`;
- decrypts the body with the subscription's private key and auth secret (RFC 8291, http_ece) and records
  the plaintext, with the endpoint and the Urgency/Topic/TTL headers.
A push that fails a check is answered 400/401 and recorded in `rejected` (a test asserts there are none).
`delay_s` holds each accepted push's answer back, as a slow line would.
`gone(endpoint)` makes an endpoint answer 410 from then on, as for a subscription the browser dropped.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

VAPID_HEADER = re.compile(r"^vapid\s+t=(?P<t>[A-Za-z0-9_.=-]+)\s*,\s*k=(?P<k>[A-Za-z0-9_=-]+)$")
MAX_EXP_S = 24 * 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """A browser's side of a subscription."""
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def subscription_json(self) -> dict:
        point = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                           serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}


@dataclass
class Push:
    endpoint: str
    payload: dict
    ttl: int
    urgency: str | None
    topic: str | None
    at: float = field(default_factory=time.time)  # when it arrived (bench/event_latency.py)
    sender: str = ""  # its VAPID JWT's `sub`: which worker sent it, when each has its own (tests/test_worker_pool.py)


@dataclass
class PushService:
    origin: str = ""
    devices: dict[str, Device] = field(default_factory=dict)
    received: list[Push] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    gone_endpoints: set[str] = field(default_factory=set)
    delay_s: float = 0.0  # how long an accepted push takes to answer (a slow line: kills land mid-send)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def subscribe(self) -> Device:
        device = Device(f"{self.origin}/push/{secrets.token_urlsafe(16)}", ec.generate_private_key(ec.SECP256R1()),
                        secrets.token_bytes(16))
        self.devices[device.endpoint] = device
        return device

    def gone(self, endpoint: str) -> None:
        self.gone_endpoints.add(endpoint)

    def to(self, device: Device) -> list[Push]:
        with self.lock:
            return [push for push in self.received if push.endpoint == device.endpoint]

    def all(self) -> list[Push]:
        with self.lock:
            return list(self.received)

    # --- what the server does with one request: (status, why) ---
    def handle(self, path: str, headers, body: bytes) -> tuple[int, str]:
        endpoint = self.origin + path
        device = self.devices.get(endpoint)
        if device is None:
            return 404, "no such subscription"
        problem = self._check_vapid(headers.get("Authorization", "")) or self._check_headers(headers)
        if problem:
            with self.lock:
                self.rejected.append(f"{endpoint}: {problem}")
            return (401 if problem.startswith("vapid") else 400), problem
        if endpoint in self.gone_endpoints:
            return 410, "gone"
        try:
            plaintext = http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth,
                                         version="aes128gcm")
            payload = json.loads(plaintext)
        except Exception as exc:  # noqa: BLE001 - any failure to decrypt is the sender's
            with self.lock:
                self.rejected.append(f"{endpoint}: cannot decrypt ({exc.__class__.__name__})")
            return 400, "cannot decrypt"
        with self.lock:
            self.received.append(Push(endpoint, payload, int(headers["TTL"]), headers.get("Urgency"),
                                      headers.get("Topic"), sender=_sender(headers["Authorization"])))
        if self.delay_s:
            time.sleep(self.delay_s)  # accepted (and recorded) before the sender hears so
        return 201, "created"

    def _check_vapid(self, authorization: str) -> str | None:
        match = VAPID_HEADER.match(authorization.strip())
        if not match:
            return "vapid: no 'vapid t=..., k=...' Authorization"
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(match["k"]))
            header_b64, claims_b64, signature_b64 = match["t"].split(".")
            header = json.loads(unb64url(header_b64))
            claims = json.loads(unb64url(claims_b64))
            signature = unb64url(signature_b64)
        except (ValueError, TypeError):
            return "vapid: malformed token or key"
        if header.get("alg") != "ES256" or len(signature) != 64:
            return "vapid: not ES256"
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "vapid: bad signature"
        now = time.time()
        if claims.get("aud") != self.origin:
            return f"vapid: aud {claims.get('aud')!r} is not {self.origin!r}"
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + MAX_EXP_S:
            return "vapid: exp missing, past or more than 24 h ahead"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            return "vapid: sub is not a mailto: or https: contact"
        return None

    @staticmethod
    def _check_headers(headers) -> str | None:
        if not re.fullmatch(r"[0-9]+", headers.get("TTL", "")):
            return "no TTL header"
        if headers.get("Content-Encoding") != "aes128gcm":
            return "Content-Encoding is not aes128gcm"
        if headers.get("Urgency", "normal") not in ("very-low", "low", "normal", "high"):
            return "bad Urgency"
        return None


def _sender(authorization: str) -> str:
    """The `sub` of a VAPID header already verified."""
    claims_b64 = VAPID_HEADER.match(authorization.strip())["t"].split(".")[1]
    return str(json.loads(unb64url(claims_b64)).get("sub", ""))


def start() -> tuple[PushService, ThreadingHTTPServer]:
    service = PushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, why = service.handle(self.path, self.headers, body)
            data = why.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    service.origin = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return service, server
