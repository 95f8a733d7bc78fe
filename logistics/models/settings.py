"""Election settings an admin changes in the app (date, meal times, thresholds): one row per changed value."""
from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models.election import ElectionScoped
from logistics.models.base import Base, TimestampMixin


class ElectionSetting(ElectionScoped, TimestampMixin, Base):
    """A value that replaces its default (`logistics.settings`); stored as the text the form takes."""

    __tablename__ = "election_setting"
    __table_args__ = (UniqueConstraint("election_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(40))
