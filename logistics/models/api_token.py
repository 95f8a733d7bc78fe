"""Bearer tokens for partner systems and field apps calling the JSON API."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from logistics.models.base import Base, UTCDateTime
from logistics.models.user import User
from logistics.timeutil import utcnow


class ApiToken(Base):
    """One token: only its sha256 hash is stored, with a short visible prefix to tell tokens apart.

    An agency token acts as a partner of `agency`; a token bound to a user (`user_id`) acts as that user.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    agency: Mapped[str | None] = mapped_column(String(60))
    scopes: Mapped[list] = mapped_column(JSON)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Every token ends: after this it is refused like a revoked one (NULL: made before tokens expired).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()

    def live(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > (now or utcnow()))

    @property
    def active(self) -> bool:
        return self.live()
