"""People on duty: KPPS, Linmas, PPS, couriers and medics."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from logistics.models.election import ElectionScoped
from logistics.models.base import Base, TimestampMixin, str_enum
from logistics.models.enums import PersonRole
from logistics.models.health import MedicStation
from logistics.models.tps import Tps
from logistics.models.wilayah import Kecamatan, Kelurahan
from logistics.rules.phones import E164_MAX, normalise_phone


class Person(ElectionScoped, TimestampMixin, Base):
    """Someone on duty and where they are posted: a TPS (KPPS, Linmas), a kelurahan (PPS),
    a kecamatan (couriers of that kecamatan's vendor) or a medic station (medics).

    `phone` is personal data: stored for coordinators, never published. It is kept as written (an import's
    `0812-3456-7890`); `phone_e164` is the same number in one form (logistics/rules/phones.py), set whenever
    `phone` is, indexed: an SMS's sender is found by equality on it (logistics/services/sms_inbound.py).
    """

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("election_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))  # stable external reference for imports
    name: Mapped[str] = mapped_column(String(160))
    role: Mapped[PersonRole] = mapped_column(str_enum(PersonRole, "person_role"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    phone_e164: Mapped[str | None] = mapped_column(String(E164_MAX), index=True)
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

    @validates("phone")
    def _phone_in_one_form(self, _key: str, value: str | None) -> str | None:
        self.phone_e164 = normalise_phone(value)
        return value
