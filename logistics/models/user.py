"""Accounts: a role and the scope the role applies to."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from logistics.models.base import Base, TimestampMixin, UTCDateTime, str_enum
from logistics.models.enums import Role
from logistics.models.health import MedicStation
from logistics.models.people import Person
from logistics.models.tps import Tps
from logistics.models.wilayah import Kecamatan, Kota
from logistics.rules.phones import normalise_phone


class User(TimestampMixin, Base):
    """A login. Scope by role: coordinator and admin -> an area (one of a province by its 2-digit
    Kemendagri code, a kab/kota, a kecamatan) or (none) the whole nation; field officer -> one TPS;
    courier -> their own deliveries (via `person`); medic -> one station; partner -> one agency.
    What an area scope lets one see is `logistics.permissions.read_scope`. The password is stored only
    as a salted hash."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(160))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Stored in each browser session at login; bumping it (logout, password change, deactivation,
    # revoke) makes every copy of every earlier session cookie useless (siaga.auth checks it per request).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A one-time PIN (a login card) was issued: the first login must set the user's own password, and
    # until then every page leads to that (siaga/first_login.py).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    pin_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the newest login card
    # The card's code is single use (set by the one login that used it, a conditional UPDATE) and takes a
    # limited number of wrong tries (logistics/rules/login_codes.py); a new card resets both.
    pin_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # H-1 readiness: who never logged in
    kecamatan_id: Mapped[int | None] = mapped_column(ForeignKey("kecamatan.id"))
    # The wider area scopes of a coordinator or admin (at most one of provinsi_kode, kota_id, kecamatan_id).
    kota_id: Mapped[int | None] = mapped_column(ForeignKey("kota.id"))
    provinsi_kode: Mapped[str | None] = mapped_column(String(2))
    tps_id: Mapped[int | None] = mapped_column(ForeignKey("tps.id"))
    medic_station_id: Mapped[int | None] = mapped_column(ForeignKey("medic_station.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    agency: Mapped[str | None] = mapped_column(String(60))
    # For SMS (siaga/sms/): an account without a person record (a coordinator) is reached and recognised by
    # this number; field staff by their person's. Personal data, like Person.phone. Stored in one form
    # (+62…, logistics/rules/phones.py) and indexed: an SMS's sender is found by equality.
    phone: Mapped[str | None] = mapped_column(String(32), index=True)

    kecamatan: Mapped[Kecamatan | None] = relationship()
    kota: Mapped[Kota | None] = relationship()
    tps: Mapped[Tps | None] = relationship()
    medic_station: Mapped[MedicStation | None] = relationship()
    person: Mapped[Person | None] = relationship()

    @validates("phone")
    def _phone_in_one_form(self, _key: str, value: str | None) -> str | None:
        """Any way of writing the number is kept in the one form (a number that is none is kept as given,
        matching nothing; logistics/services/sms_phones.py refuses it first)."""
        return normalise_phone(value) or value or None


class LoginFailure(Base):
    """One failed login, counted by siaga/login_throttle.py when no Redis is configured: every worker and
    app server counts the same rows. Rows older than the longest window are deleted as new ones come."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_address_at", "address", "at"),
                      Index("ix_login_failure_username_address_at", "username", "address", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    username: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(64))
