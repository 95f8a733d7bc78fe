"""People on duty: KPPS, Linmas, PPS, couriers and medics."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from logistics.models.base import Base, TimestampMixin, str_enum
from logistics.models.enums import PersonRole
from logistics.models.health import MedicStation
from logistics.models.tps import Tps
from logistics.models.wilayah import Kecamatan, Kelurahan


class Person(TimestampMixin, Base):
    """Someone on duty and where they are posted: a TPS (KPPS, Linmas), a kelurahan (PPS),
    a kecamatan (couriers of that kecamatan's vendor) or a medic station (medics).

    `phone` is personal data: stored for coordinators, never published.
    """

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # stable external reference for imports
    name: Mapped[str] = mapped_column(String(160))
    role: Mapped[PersonRole] = mapped_column(str_enum(PersonRole, "person_role"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    tps_id: Mapped[int | None] = mapped_column(ForeignKey("tps.id"), index=True)
    kelurahan_id: Mapped[int | None] = mapped_column(ForeignKey("kelurahan.id"), index=True)
    kecamatan_id: Mapped[int | None] = mapped_column(ForeignKey("kecamatan.id"), index=True)
    medic_station_id: Mapped[int | None] = mapped_column(ForeignKey("medic_station.id"), index=True)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendor.id"), index=True)  # couriers

    tps: Mapped[Tps | None] = relationship()
    kelurahan: Mapped[Kelurahan | None] = relationship()
    kecamatan: Mapped[Kecamatan | None] = relationship()
    medic_station: Mapped[MedicStation | None] = relationship()
