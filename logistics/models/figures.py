"""Stored figures: the coordinators' aggregates of one scope, computed once for every process.

At national scale one dashboard's figures read millions of rows (seconds of database time). They are
computed by one process and kept here, so every gunicorn worker and every app server serves the same
snapshot instead of each computing its own (siaga/shared_figures.py).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models.election import ElectionScoped
from logistics.models.base import Base, UTCDateTime


class FigureSnapshot(Base):
    """One registered figure for some params (`key`: a digest of both), as JSON (siaga/figure_codec.py)."""

    __tablename__ = "figure_snapshot"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    figure: Mapped[str] = mapped_column(String(60))  # the registered compute function's name
    params: Mapped[str] = mapped_column(Text)  # its keyword arguments, as JSON
    # A reader found them stale at this time: the worker recomputes them when this is after computed_at.
    wanted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    body: Mapped[str] = mapped_column(Text)


class SituationReport(ElectionScoped, Base):
    """A situation report (PDF, maps/situation_report.py) the worker made for one area in one hour of the
    election day, kept for download. `scope` says what `area_id` is ("kota", "kecamatan"; a province can
    be added as one more scope); one report per area, language and hour (`hour`: its start, UTC)."""

    __tablename__ = "situation_report"
    __table_args__ = (UniqueConstraint("election_id", "scope", "area_id", "lang", "hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    area_id: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(8))
    hour: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when its figures were computed
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
