"""Tombstones: the records that no longer exist, so a partner's incremental sync learns of deletions.

A list synced by `(updated_at, id)` cannot show a row that is gone; the service that deletes a synced record
(`logistics.services.tombstones.bury`, called in the deleting transaction) leaves one row here with its type,
id and when, and the sync responses report those since the caller's cursor (api/pagination.py). Ids and
codes only: a tombstone says what vanished, never what it held.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models.base import Base, UTCDateTime


class Tombstone(Base):
    __tablename__ = "tombstone"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(40))  # the table: "health_incident", "delivery", "tps"
    entity_id: Mapped[int] = mapped_column(Integer)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(40))  # the action that deleted it, e.g. "drill.wiped"

    __table_args__ = (Index("ix_tombstone_entity_type_deleted_at", "entity_type", "deleted_at"),)
