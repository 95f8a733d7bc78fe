"""Web Push subscriptions: a user's browser subscribes (or stops), and ending a user's sessions ends them.

A subscription belongs to the login generation it was made in (`User.session_version`): whatever ends every
session of the user (logout, password change, revoke, deactivation, a new PIN) deletes their
subscriptions in the same transaction (`end_subscriptions`, called by `accounts.end_sessions`).
Subscribing is an upsert by endpoint: a browser that subscribes again (a retried post, the same phone
handed to another officer) keeps one row, owned by whoever subscribed last. A push service that renews a
browser's subscription (`pushsubscriptionchange` in field/static/sw.js) has it replaced: the old endpoint
by the new one, for the same login (`replace`).
"""
from __future__ import annotations

import hmac

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import NotFound, PermissionDenied
from logistics.models import PushSubscription, User
from logistics.models.push import DEVICE_MAX
from logistics.services.common import commit, load
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work


@in_unit_of_work
def subscribe(session: Session, actor: Actor, endpoint: str, p256dh: str, auth: str, device: str = "") -> PushSubscription:
    """The actor's browser asks for notifications (inputs already checked by the web layer's schema)."""
    if actor.user_id is None:
        raise PermissionDenied(lazy_gettext("Hanya pengguna yang masuk yang bisa berlangganan notifikasi"))
    user = load(session, User, actor.user_id, "Pengguna")
    subscription = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if subscription is None:
        subscription = PushSubscription(endpoint=endpoint)
        session.add(subscription)
    subscription.user_id = user.id
    subscription.p256dh, subscription.auth = p256dh, auth
    subscription.device = device[:DEVICE_MAX]
    subscription.session_version = user.session_version
    commit(session)
    return subscription


@in_unit_of_work
def replace(session: Session, actor: Actor, old_endpoint: str, old_auth: str, endpoint: str, p256dh: str, auth: str,
            device: str = "") -> PushSubscription:
    """The browser's push service renewed its subscription: the old one, of the actor's current login,
    gives way to the new one (one transaction). The old subscription's auth secret, known only to that
    browser and to us, is the proof that the browser asking is the one that held it (the service worker
    that asks has no page, so no CSRF token)."""
    user = load(session, User, actor.user_id, "Pengguna") if actor.user_id is not None else None
    old = user and session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint == old_endpoint, PushSubscription.of_current_login(user)))
    if old is None or not hmac.compare_digest(old.auth.encode(), old_auth.encode()):
        raise NotFound(lazy_gettext("Langganan notifikasi ini tidak ditemukan"))  # nothing said of whose it is
    if old.endpoint != endpoint:
        session.delete(old)
        session.flush()  # the endpoint is unique: the old row goes before a new one may take it
    return subscribe(session, actor, endpoint, p256dh, auth, device or old.device)


@in_unit_of_work
def unsubscribe(session: Session, actor: Actor, endpoint: str) -> int:
    """The actor's browser stops notifications; how many subscriptions went (0: none was theirs)."""
    gone = session.execute(delete(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == actor.user_id)).rowcount
    commit(session)
    return gone


def end_subscriptions(session: Session, user_id: int) -> None:
    """Delete every subscription of the user, in the caller's transaction (their sessions are ending)."""
    session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id))
