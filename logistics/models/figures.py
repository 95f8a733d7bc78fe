"""Stored figures: the coordinators' aggregates of one scope, computed once for every process.

At national scale one dashboard's figures read millions of rows (seconds of database time). They are
computed by one process and kept here, so every gunicorn worker and every app server serves the same
snapshot instead of each computing its own (siaga/shared_figures.py).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models.base import Base, UTCDateTime


class FigureSnapshot(Base):
    """One scope's figures (`key`: a digest of what they are for), as JSON (siaga/figure_codec.py)."""

    __tablename__ = "figure_snapshot"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # A process recomputing them holds this until it stores them (or the time passes: it died).
    refresh_claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    body: Mapped[str] = mapped_column(Text)
