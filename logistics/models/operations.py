"""Operations: catering vendors, medic rosters, officer health screening and check-ins."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from logistics.models.election import ElectionScoped
from logistics.models.base import Base, TimestampMixin, UTCDateTime, str_enum
from logistics.models.enums import CheckinKind, RiskTier
from logistics.models.health import MedicStation
from logistics.models.people import Person
from logistics.models.wilayah import Kecamatan


class Vendor(TimestampMixin, Base):
    """A catering vendor feeding the TPS of one kecamatan, cooking at `kitchen_lat/lon`."""

    __tablename__ = "vendor"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    kecamatan_id: Mapped[int] = mapped_column(ForeignKey("kecamatan.id"), index=True)
    kitchen_lat: Mapped[float] = mapped_column(Float)
    kitchen_lon: Mapped[float] = mapped_column(Float)
    contact_phone: Mapped[str | None] = mapped_column(String(32))

    kecamatan: Mapped[Kecamatan] = relationship()


class RosterShift(ElectionScoped, TimestampMixin, Base):
    """One medic on duty at one station from `starts_at` to `ends_at`."""

    __tablename__ = "roster_shift"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_roster_shift_station_time", "medic_station_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    medic_station_id: Mapped[int] = mapped_column(ForeignKey("medic_station.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    medic_station: Mapped[MedicStation] = relationship()
    person: Mapped[Person] = relationship()


class HealthScreening(ElectionScoped, TimestampMixin, Base):
    """An officer's check before the day; `risk_tier` follows logistics.rules.risk."""

    __tablename__ = "health_screening"
    __table_args__ = (
        CheckConstraint("systolic BETWEEN 50 AND 300 AND diastolic BETWEEN 30 AND 200", name="blood_pressure_range"),
        CheckConstraint("blood_sugar IS NULL OR blood_sugar BETWEEN 20 AND 1000", name="blood_sugar_range"),
        CheckConstraint("age BETWEEN 17 AND 100", name="age_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    screened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    systolic: Mapped[int] = mapped_column(Integer)  # mmHg
    diastolic: Mapped[int] = mapped_column(Integer)  # mmHg
    blood_sugar: Mapped[int | None] = mapped_column(Integer)  # random (sewaktu) glucose, mg/dL
    age: Mapped[int] = mapped_column(Integer)
    conditions: Mapped[list] = mapped_column(JSON, default=list)  # keys of logistics.rules.risk.CONDITIONS
    risk_tier: Mapped[RiskTier] = mapped_column(str_enum(RiskTier, "risk_tier"), index=True)
    risk_reasons: Mapped[list] = mapped_column(JSON, default=list)
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    notes: Mapped[str | None] = mapped_column(Text)  # personal health data

    person: Mapped[Person] = relationship()


class HealthCheckin(ElectionScoped, TimestampMixin, Base):
    """A scheduled check on an officer: during election day, or a follow-up on D+1..D+7."""

    __tablename__ = "health_checkin"
    __table_args__ = (UniqueConstraint("person_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[CheckinKind] = mapped_column(str_enum(CheckinKind, "checkin_kind"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))  # baik | perlu_tindak_lanjut | dirujuk
    notes: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person] = relationship()
