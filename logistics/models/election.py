"""Elections as records: several per deployment (Pemilu, Pilkada, Pilkada Ulang...), one active.

Each election has its own day, settings, TPS, stations, people, plans, deliveries, incidents, statuses and
figures: every such table carries `election_id` (`ElectionScoped`), and one criteria hook on the session
(logistics/election_scope.py) filters every ORM read, update and delete to the session's election. Shared
reference data has no election: the areas (kota, kecamatan, kelurahan and their outlines), health
facilities, vendors, accounts (a login works in every election; its posting follows the active election,
logistics/services/elections.py), tokens, webhooks, the audit trail and the outbox.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from logistics.models.base import Base, TimestampMixin, str_enum
from logistics.models.enums import ElectionKind


class Election(TimestampMixin, Base):
    """One election. Exactly one is `active`: what every page, the API, the worker and the drill serve.
    The others are past (or being prepared) and read-only while browsed (logistics/election_scope.py)."""

    __tablename__ = "election"
    __table_args__ = (
        # At most one active election, enforced by the database (a partial unique index, both dialects).
        Index("ix_election_one_active", "active", unique=True, postgresql_where=text("active"), sqlite_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ElectionKind] = mapped_column(str_enum(ElectionKind, "election_kind"), default=ElectionKind.PILKADA)
    name: Mapped[str] = mapped_column(String(120))
    # NULL: the day comes from the settings alone (ELECTION_DATE or the admin's setting in this election).
    day: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_from_id: Mapped[int | None] = mapped_column(ForeignKey("election.id"))


class ElectionScoped:
    """A table of one election's records: `election_id`, set on insert to the session's election and
    filtered on every ORM read, update and delete (logistics/election_scope.py)."""

    @declared_attr
    def election_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("election.id"), index=True)
