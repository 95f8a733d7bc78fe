"""Web Push subscriptions: a user's browser subscribes (or stops), and ending a user's sessions ends them.

A subscription belongs to the login generation it was made in (`User.session_version`): whatever ends every
session of the user (logout, password change, revoke, deactivation, a new PIN) deletes their
subscriptions in the same transaction (`end_subscriptions`, called by `accounts.end_sessions`).
Subscribing is an upsert by endpoint: a browser that subscribes again (a retried post, the same phone
handed to another officer) keeps one row, owned by whoever subscribed last.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import PermissionDenied
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
def unsubscribe(session: Session, actor: Actor, endpoint: str) -> int:
    """The actor's browser stops notifications; how many subscriptions went (0: none was theirs)."""
    gone = session.execute(delete(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == actor.user_id)).rowcount
    commit(session)
    return gone


def end_subscriptions(session: Session, user_id: int) -> None:
    """Delete every subscription of the user, in the caller's transaction (their sessions are ending)."""
    session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id))
