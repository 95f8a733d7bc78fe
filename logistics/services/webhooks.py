"""Partner webhooks: an admin subscribes an agency's URL to event kinds (the secret is shown once), lists,
disables; the worker's channel (siaga/worker/webhooks.py) delivers. docs: api/description.md, "Webhooks".

An agency hears only the kinds its read scopes cover (`KIND_SCOPES`: incidents need `read:incidents`, ...,
the union over its active agency tokens, like its browser users): a webhook never tells more than the API
would. The payload is ids and codes (the event's), never a name, a phone or a complaint.
"""
from __future__ import annotations

import base64
import ipaddress
import secrets
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import ValidationFailed, not_found
from logistics.events import EventKind
from logistics.models import WebhookAttempt, WebhookSubscription
from logistics.models.webhook import URL_MAX
from logistics.permissions import Permission, may, require
from logistics.permissions.read_scope import agency_scopes
from logistics.services.common import audit, commit, snapshot
from logistics.services.unit_of_work import in_unit_of_work
from logistics.texts import lazy_gettext
from logistics.timeutil import utcnow

SECRET_PREFIX = "whsec_"
# Which read scope an event kind's news needs (by its first word).
KIND_SCOPES = {"incident": "read:incidents", "delivery": "read:deliveries", "route": "read:deliveries",
               "tps": "read:tps", "alert": "read:summary"}
KINDS = tuple(kind.value for kind in EventKind)


def scope_of(kind: str) -> str:
    return KIND_SCOPES[kind.split(".", 1)[0]]


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    loopback = False
    try:
        loopback = parts.hostname is not None and (parts.hostname == "localhost"
                                                   or ipaddress.ip_address(parts.hostname).is_loopback)
    except ValueError:
        pass
    # https on the way to a partner (the body is signed, not secret); plain http only to this machine
    # (a relay beside the app, tests).
    if len(url) > URL_MAX or not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ValidationFailed(lazy_gettext("URL webhook tidak sah"),
                               {"url": lazy_gettext("Alamat https:// (paling panjang {n} karakter).", n=URL_MAX)})
    return url


@in_unit_of_work
def create_subscription(session: Session, actor: Actor, *, agency: str, url: str,
                        kinds: list[str]) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (show it to the partner now)."""
    require(may(actor, Permission.TOKEN_ADMIN), lazy_gettext("Hanya admin yang dapat mengatur webhook"))
    agency = (agency or "").strip()
    if not agency or len(agency) > 60:
        raise ValidationFailed(lazy_gettext("Instansi wajib diisi"), {"agency": lazy_gettext("Wajib diisi.")})
    url = _check_url(url)
    kinds = sorted(set(kinds or []))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValidationFailed(lazy_gettext("Jenis kejadian tidak dikenal: {names}", names=", ".join(unknown or ["-"])),
                               {"kinds": lazy_gettext("Pilih dari: {choices}", choices=", ".join(KINDS))})
    scopes = agency_scopes(session, agency)
    missing = sorted({scope_of(k) for k in kinds} - scopes)
    if missing:
        raise ValidationFailed(lazy_gettext("Instansi ini tidak memiliki scope {scope}.", scope=", ".join(missing)),
                               {"kinds": lazy_gettext("Buat dulu token instansi dengan scope itu.")})
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    subscription = WebhookSubscription(agency=agency, url=url, secret=secret, kinds=kinds, created_at=utcnow())
    session.add(subscription)
    audit(session, actor, "webhook.created", subscription, None)
    commit(session)
    return subscription, secret


@in_unit_of_work
def disable_subscription(session: Session, actor: Actor, subscription_id: int,
                         reason: str = "revoked") -> WebhookSubscription:
    require(may(actor, Permission.TOKEN_ADMIN), lazy_gettext("Hanya admin yang dapat mengatur webhook"))
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise not_found("Webhook", subscription_id)
    if subscription.disabled_at is None:
        before = snapshot(subscription)
        subscription.disabled_at, subscription.disabled_reason = utcnow(), reason
        audit(session, actor, "webhook.disabled", subscription, before)
        commit(session)
    return subscription


def list_subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def recent_attempts(session: Session, limit: int = 50) -> list[WebhookAttempt]:
    """The delivery log, newest first."""
    return list(session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id.desc()).limit(limit)))
