"""The append-only audit trail: who changed what, when, before and after."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models.base import Base, UTCDateTime
from logistics.timeutil import utcnow


class AuditEntry(Base):
    """One change. Rows are never updated or deleted: database triggers refuse it (see migrations)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # received
    # When the phone says the post was tapped (logistics/rules/tapped.py), and why that was not used as
    # the step's time ("future", "too_old"; None: it was).
    tapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tapped_note: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_label: Mapped[str] = mapped_column(String(80))  # username, or "system" / "seed"
    action: Mapped[str] = mapped_column(String(60))  # e.g. delivery.delivered
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
