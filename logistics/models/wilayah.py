"""Administrative areas: kota/kabupaten > kecamatan > kelurahan, with Kemendagri and BPS codes."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from logistics.models.base import Base, BoundaryMixin
from logistics.rules.time_zones import AreaZone, zone_of


class ZonedByCode:
    """An area keeps its province's clock, read from its Kemendagri code (no column to keep in step)."""

    kode_kemendagri: Mapped[str]

    @property
    def zone(self) -> AreaZone:
        return zone_of(self.kode_kemendagri)


class Kota(ZonedByCode, BoundaryMixin, Base):
    """A kota or kabupaten (regency/city), the top of the tree an election is run in."""

    __tablename__ = "kota"

    id: Mapped[int] = mapped_column(primary_key=True)
    kode_kemendagri: Mapped[str] = mapped_column(String(13), unique=True)
    kode_bps: Mapped[str | None] = mapped_column(String(10))
    nama: Mapped[str] = mapped_column(String(120))
    jenis: Mapped[str] = mapped_column(String(20), default="kota")  # kota | kabupaten
    provinsi: Mapped[str] = mapped_column(String(120))

    kecamatan: Mapped[list[Kecamatan]] = relationship(back_populates="kota", order_by="Kecamatan.kode_kemendagri")


class Kecamatan(ZonedByCode, BoundaryMixin, Base):
    __tablename__ = "kecamatan"

    id: Mapped[int] = mapped_column(primary_key=True)
    kota_id: Mapped[int] = mapped_column(ForeignKey("kota.id"), index=True)
    kode_kemendagri: Mapped[str] = mapped_column(String(13), unique=True)
    kode_bps: Mapped[str | None] = mapped_column(String(10))
    nama: Mapped[str] = mapped_column(String(120))

    kota: Mapped[Kota] = relationship(back_populates="kecamatan")
    kelurahan: Mapped[list[Kelurahan]] = relationship(
        back_populates="kecamatan", order_by="Kelurahan.kode_kemendagri"
    )


class Kelurahan(ZonedByCode, BoundaryMixin, Base):
    """A kelurahan or desa, where TPS are numbered."""

    __tablename__ = "kelurahan"

    id: Mapped[int] = mapped_column(primary_key=True)
    kecamatan_id: Mapped[int] = mapped_column(ForeignKey("kecamatan.id"), index=True)
    kode_kemendagri: Mapped[str] = mapped_column(String(13), unique=True)
    kode_bps: Mapped[str | None] = mapped_column(String(10))
    nama: Mapped[str] = mapped_column(String(120))
    nama_bps: Mapped[str | None] = mapped_column(String(120))
    jenis: Mapped[str] = mapped_column(String(20), default="kelurahan")  # kelurahan | desa

    kecamatan: Mapped[Kecamatan] = relationship(back_populates="kelurahan")
