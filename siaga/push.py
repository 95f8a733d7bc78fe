"""Web Push for the logged-in field staff and coordinators: the server's public key, subscribe, unsubscribe.

The browser (siaga/static/js/push.js) asks the user's permission, subscribes through its PushManager
with our VAPID public key (siaga/vapid.py) and posts the subscription here as JSON, with the page's CSRF
token in X-CSRFToken like every post. The worker's `webpush` channel (siaga/worker/webpush.py) sends to it.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from urllib.parse import urlsplit

import marshmallow as ma
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select

from logistics.errors import ValidationFailed
from logistics.permissions import HOLDERS, Permission
from logistics.models import PushSubscription
from logistics.models.push import DEVICE_MAX, ENDPOINT_MAX, KEY_AUTH_LENGTH, KEY_P256DH_LENGTH
from logistics.services.push_subscriptions import replace, subscribe, unsubscribe
from siaga.auth import current_actor, requires
from siaga.errors import flatten_messages
from siaga.extensions import csrf, db
from siaga.fields import Translated, bad_text
from siaga.i18n import _
from siaga.vapid import vapid_keys

bp = Blueprint("push", __name__, url_prefix="/notifikasi")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class PushEndpoint(Translated, ma.fields.Field):
    """The push service's URL: https (plain http only to this machine, outside production)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if len(value) > ENDPOINT_MAX:
            raise ma.ValidationError(_("Paling banyak {n} karakter.", n=ENDPOINT_MAX))
        if bad_text(value) or any(c.isspace() for c in value):
            raise ma.ValidationError(_("Alamat layanan push tidak sah."))
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError:
            raise ma.ValidationError(_("Alamat layanan push tidak sah.")) from None
        local_http = (parts.scheme == "http" and host in LOCAL_HOSTS
                      and current_app.config.get("SIAGA_ENV") != "production")
        if not host or not (parts.scheme == "https" or local_http):
            raise ma.ValidationError(_("Alamat layanan push harus https."))
        return value


class PushKey(Translated, ma.fields.Field):
    """A key of the subscription, base64url as the browser gives it (padding tolerated)."""

    def __init__(self, length: int, size: int, **kwargs):
        super().__init__(**kwargs)
        self.length, self.size = length, size

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = value.rstrip("=")
        if len(text) != self.length or not BASE64URL.fullmatch(text):
            raise ma.ValidationError(_("Kunci harus {n} karakter base64url.", n=self.length))
        raw = _b64url(text)
        if raw is None or len(raw) != self.size or (self.size == 65 and not _on_curve(raw)):
            raise ma.ValidationError(_("Kunci tidak sah."))
        return text


def _b64url(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _on_curve(raw: bytes) -> bool:
    """A P-256 public point (what aes128gcm encryption needs of the browser's key)."""
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return True


class SubscriptionSchema(ma.Schema):
    """PushSubscription.toJSON() of the browser; `keys` are read as keys.p256dh and keys.auth."""

    class Meta:
        unknown = ma.EXCLUDE  # expirationTime and whatever a browser adds

    endpoint = PushEndpoint(required=True)
    p256dh = PushKey(KEY_P256DH_LENGTH, 65, required=True, data_key="keys.p256dh")
    auth = PushKey(KEY_AUTH_LENGTH, 16, required=True, data_key="keys.auth")


class ReplacementSchema(SubscriptionSchema):
    """The renewed subscription, and the one it replaces: its endpoint and its auth secret (the proof)."""
    old_endpoint = PushEndpoint(required=True)
    old_auth = PushKey(KEY_AUTH_LENGTH, 16, required=True)


class EndpointSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    endpoint = PushEndpoint(required=True)


def _body(schema_cls: type[ma.Schema]) -> dict:
    """The posted JSON object checked by the schema, or ValidationFailed with a message per field."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed(_("Kirim langganan sebagai objek JSON."),
                               {"_body": _("Kirim langganan sebagai objek JSON.")})
    flat = {key: value for key, value in data.items() if key != "keys"}
    keys = data.get("keys")
    if isinstance(keys, dict):
        flat.update({f"keys.{name}": value for name, value in keys.items()})
    try:
        return schema_cls().load(flat)
    except ma.ValidationError as exc:
        raise ValidationFailed(_("Periksa isian."), flatten_messages({"json": exc.messages}))


def _device_label() -> str:
    """Which of the user's devices this is (the User-Agent, cut short), to tell them apart."""
    label = (request.user_agent.string or "").strip()
    return "" if bad_text(label) else label[:DEVICE_MAX]


@bp.get("/kunci")
@requires(Permission.PUSH_SUBSCRIBE)
def public_key():
    """The VAPID public key the browser subscribes with (its applicationServerKey)."""
    return jsonify(public_key=vapid_keys(current_app).public_key)


@bp.post("/langganan")
@requires(Permission.PUSH_SUBSCRIBE)
def subscribe_view():
    body = _body(SubscriptionSchema)
    subscribe(db.session, current_actor(), body["endpoint"], body["p256dh"], body["auth"], _device_label())
    return jsonify(subscribed=True), 201


@bp.post("/ganti")
@csrf.exempt  # posted by the service worker, which has no page and so no CSRF token: old_auth proves it
@requires(Permission.PUSH_SUBSCRIBE)
def replace_view():
    """`pushsubscriptionchange` (field/static/sw.js): the push service renewed this browser's subscription."""
    body = _body(ReplacementSchema)
    replace(db.session, current_actor(), body["old_endpoint"], body["old_auth"], body["endpoint"], body["p256dh"],
            body["auth"], _device_label())
    return jsonify(subscribed=True)


@bp.post("/berhenti")
@requires(Permission.PUSH_SUBSCRIBE)
def unsubscribe_view():
    body = _body(EndpointSchema)
    unsubscribe(db.session, current_actor(), body["endpoint"])
    return jsonify(subscribed=False)


@bp.app_template_global()
def push_offered() -> bool:
    """Whether the page offers "Aktifkan notifikasi" (siaga/templates/_push_toggle.html)."""
    from siaga.auth import current_user

    user = current_user()
    return user is not None and user.role in HOLDERS[Permission.PUSH_SUBSCRIBE]  # not admins' pages


def endpoint_mark(endpoint: str) -> str:
    """A subscription's mark in a page (push.js makes the same of the browser's): a digest, not the endpoint,
    which is the capability to push to the browser."""
    return hashlib.sha256(endpoint.encode()).hexdigest()[:16]


@bp.app_template_global()
def push_known() -> str:
    """The marks of the subscriptions the server holds for this user's current login, in every full answer of a
    field page (<body data-push-known>): a browser whose subscription is not among them (the push service
    answered 404/410 and the worker dropped it) subscribes again (push.js) instead of waiting for pushes that
    no longer come while checking only every LIVE_POLL_PUSHED_S."""
    from siaga.auth import current_user

    user = current_user()
    if user is None or not push_offered():
        return ""
    return " ".join(sorted(endpoint_mark(e) for e in db.session.scalars(
        select(PushSubscription.endpoint).where(PushSubscription.of_current_login(user)))))


def register(app) -> None:
    app.register_blueprint(bp)
