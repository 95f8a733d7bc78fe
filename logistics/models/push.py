"""Web Push subscriptions: one per browser (device) that allowed notifications, owned by one login.

A subscription is what the browser's PushManager hands out (RFC 8030 endpoint, RFC 8291 keys). It belongs
to the user who subscribed and to that user's login generation (`session_version`): logging out, a password
change and an admin's revoke end every session of the user, and delete their subscriptions in the same
transaction (logistics/services/push_subscriptions.py); the worker also sends only to subscriptions whose
version still matches the user's, so a stale one never hears anything.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models.base import Base, UTCDateTime
from logistics.timeutil import utcnow

# Bounds of what a browser sends (the subscribe endpoint checks them before anything is stored).
ENDPOINT_MAX = 1000     # push services' URLs are ~200-500 characters
KEY_P256DH_LENGTH = 87  # base64url (no padding) of a 65-byte uncompressed P-256 point
KEY_AUTH_LENGTH = 22    # base64url (no padding) of the 16-byte auth secret
DEVICE_MAX = 120        # a label from the User-Agent, to tell a user's devices apart


class PushSubscription(Base):
    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(ENDPOINT_MAX), unique=True)
    p256dh: Mapped[str] = mapped_column(String(KEY_P256DH_LENGTH))
    auth: Mapped[str] = mapped_column(String(KEY_AUTH_LENGTH))
    device: Mapped[str] = mapped_column(String(DEVICE_MAX), default="")
    # The user's session_version when subscribing: a later logout/revoke/password change ends it.
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def of_current_login(cls, user):
        """SQL: the subscription is `user`'s (the User entity or an alias) and made in their current login;
        the one condition for "this person's phone hears pushes" (the push channel, and SMS for those
        without)."""
        return (cls.user_id == user.id) & (cls.session_version == user.session_version)
