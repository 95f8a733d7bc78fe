"""Health facilities, medic stations (pos kesehatan) and health incidents."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import (Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint,
                        false, func, select)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from logistics.models.election import ElectionScoped
from logistics.models.base import Base, TimestampMixin, UTCDateTime, str_enum
from logistics.models.enums import FacilityKind, IncidentStatus, PatientKind, Triage
from logistics.models.tps import Tps
from logistics.models.wilayah import Kecamatan, Kelurahan
from logistics.rules.lifecycles.incident import INCIDENT


class HealthFacility(TimestampMixin, Base):
    """A puskesmas or hospital: base of a medic station, or where a patient is referred to."""

    __tablename__ = "health_facility"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # Kemenkes facility code
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[FacilityKind] = mapped_column(str_enum(FacilityKind, "facility_kind"))
    address: Mapped[str | None] = mapped_column(String(240))
    kelurahan_id: Mapped[int | None] = mapped_column(ForeignKey("kelurahan.id"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    position_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    source_note: Mapped[str | None] = mapped_column(Text)

    kelurahan: Mapped[Kelurahan | None] = relationship()


class MedicStation(ElectionScoped, TimestampMixin, Base):
    """A pos kesehatan on standby for a kecamatan on election day."""

    __tablename__ = "medic_station"
    __table_args__ = (UniqueConstraint("election_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(160))
    kecamatan_id: Mapped[int] = mapped_column(ForeignKey("kecamatan.id"), index=True)
    base_facility_id: Mapped[int | None] = mapped_column(ForeignKey("health_facility.id"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    ambulances: Mapped[int] = mapped_column(Integer, default=0)
    # Opening hours in the station's area's local time (WIB/WITA/WIT); `hours_to` earlier than `hours_from` means the shift runs past midnight.
    hours_from: Mapped[time] = mapped_column(Time)
    hours_to: Mapped[time] = mapped_column(Time)

    kecamatan: Mapped[Kecamatan] = relationship()
    base_facility: Mapped[HealthFacility | None] = relationship()


def _tps_column(name: str, tps_id):
    """A column of the incident's TPS as a scalar subquery on its own alias of `tps`, so that it still
    works in a query that joins `tps` itself (it never correlates to the outer join)."""
    tps = aliased(Tps)
    return select(getattr(tps, name)).where(tps.id == tps_id).correlate_except(tps).scalar_subquery()


class HealthIncident(ElectionScoped, TimestampMixin, Base):
    """A health incident at or near a TPS, from report to closure; each step is timestamped."""

    __tablename__ = "health_incident"
    __table_args__ = (
        CheckConstraint("tps_id IS NOT NULL OR (lat IS NOT NULL AND lon IS NOT NULL)", name="has_place"),
        Index("ix_health_incident_status_triage", "status", "triage"),
        # A TPS's incidents, with the election every read names (as delivery's: SQLite without statistics
        # searched the election's index on one column).
        Index("ix_health_incident_tps_id_election_id", "tps_id", "election_id"),
        CheckConstraint(INCIDENT.fields.sql(), name="step_times_fit_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    tps_id: Mapped[int | None] = mapped_column(ForeignKey("tps.id"))  # indexed with election_id (above)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    patient_kind: Mapped[PatientKind] = mapped_column(str_enum(PatientKind, "patient_kind"))
    patient_name: Mapped[str | None] = mapped_column(String(160))  # personal data
    complaint: Mapped[str] = mapped_column(String(160))
    triage: Mapped[Triage] = mapped_column(str_enum(Triage, "triage"))
    status: Mapped[IncidentStatus] = mapped_column(
        str_enum(IncidentStatus, "incident_status"), default=IncidentStatus.REPORTED
    )
    medic_station_id: Mapped[int | None] = mapped_column(ForeignKey("medic_station.id"), index=True)
    referral_facility_id: Mapped[int | None] = mapped_column(ForeignKey("health_facility.id"))
    notes: Mapped[str | None] = mapped_column(Text)  # free text, personal data
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responding_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    treated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    referred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Made by a drill, or reported at a TPS in a drill: `drill --wipe` deletes it.
    drill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    tps: Mapped[Tps | None] = relationship()
    medic_station: Mapped[MedicStation | None] = relationship()
    referral_facility: Mapped[HealthFacility | None] = relationship()

    # Where the incident is: its own position when one was given (`lat`/`lon` keep meaning exactly that),
    # else its TPS's. The Python side reads `self.tps` (eager-load it for lists); the SQL twin is a
    # correlated subquery on the TPS, for filters such as the map's bounding box.
    @hybrid_property
    def effective_lat(self) -> float | None:
        return self.lat if self.lat is not None else (self.tps.lat if self.tps is not None else None)

    @effective_lat.inplace.expression
    @classmethod
    def _effective_lat_sql(cls):
        return func.coalesce(cls.lat, _tps_column("lat", cls.tps_id))

    @hybrid_property
    def effective_lon(self) -> float | None:
        return self.lon if self.lon is not None else (self.tps.lon if self.tps is not None else None)

    @effective_lon.inplace.expression
    @classmethod
    def _effective_lon_sql(cls):
        return func.coalesce(cls.lon, _tps_column("lon", cls.tps_id))


class TpsCoverage(ElectionScoped, Base):
    """Each TPS's nearest medic station and the distance to it: derived data, kept current in the unit
    of work whenever a TPS or a station is added, moved or removed (logistics/services/coverage.py), so
    every app process reads the same answer. A TPS has no row only while there is no station at all."""

    __tablename__ = "tps_coverage"

    tps_id: Mapped[int] = mapped_column(ForeignKey("tps.id", ondelete="CASCADE"), primary_key=True)
    medic_station_id: Mapped[int] = mapped_column(ForeignKey("medic_station.id", ondelete="CASCADE"), index=True)
    distance_m: Mapped[float] = mapped_column(Float, index=True)  # great-circle; max(): a new station's reach
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # newest: the coverage's version
