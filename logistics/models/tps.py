"""Polling stations (TPS) and their election-day status."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from logistics.models.election import ElectionScoped
from logistics.models.base import Base, TimestampMixin, UTCDateTime, str_enum
from logistics.models.enums import TpsKind, TpsStatus
from logistics.models.wilayah import Kelurahan
from logistics.rules.lifecycles.tps_day import TPS_DAY


class Tps(ElectionScoped, TimestampMixin, Base):
    __tablename__ = "tps"
    __table_args__ = (
        UniqueConstraint("election_id", "kelurahan_id", "number"),
        UniqueConstraint("election_id", "code"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("dpt >= 0", name="dpt_not_negative"),
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="position_valid"),
        # Bounding-box queries for the map and the API filter on both columns.
        Index("ix_tps_lon_lat", "lon", "lat"),
        CheckConstraint(TPS_DAY.fields.sql(), name="step_times_fit_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24))  # e.g. 19.71.01.1004-001
    kelurahan_id: Mapped[int] = mapped_column(ForeignKey("kelurahan.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # TPS 001... within its kelurahan
    kind: Mapped[TpsKind] = mapped_column(str_enum(TpsKind, "tps_kind"), default=TpsKind.REGULAR)
    special_location: Mapped[str | None] = mapped_column(String(160))  # e.g. the prison, for special TPS
    address: Mapped[str] = mapped_column(String(240))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    position_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    # Imported without coordinates: placed at its kelurahan's label point until someone fixes it.
    position_approximate: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Registered voters (Daftar Pemilih Tetap); NULL when the imported list had none yet.
    dpt: Mapped[int | None] = mapped_column(Integer)

    status: Mapped[TpsStatus] = mapped_column(str_enum(TpsStatus, "tps_status"), default=TpsStatus.SETUP, index=True)
    officers_present: Mapped[int | None] = mapped_column(Integer)
    officers_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voting_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The day's state belongs to a drill (`flask drill`): `drill --wipe` resets it to setup.
    drill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    kelurahan: Mapped[Kelurahan] = relationship()

    @property
    def zone(self):
        """Its area's clock (WIB/WITA/WIT): deadlines, meal rounds and the times shown for it."""
        return self.kelurahan.zone

    @property
    def label(self) -> str:
        return self.label_of(self.number)

    @staticmethod
    def label_of(number: int) -> str:
        return f"TPS {number:03d}"
