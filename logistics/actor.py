"""Who is acting: a plain value the service layer checks permissions against."""
from __future__ import annotations

from dataclasses import dataclass

from logistics.models.enums import Role


@dataclass(frozen=True)
class Actor:
    role: Role
    label: str  # username, or "system" / "seed"
    user_id: int | None = None
    # A coordinator's or admin's area: at most one of a kecamatan, a kab/kota, a province (its 2-digit
    # Kemendagri code); none of them is the whole nation.
    kecamatan_id: int | None = None
    kota_id: int | None = None
    provinsi_kode: str | None = None
    # Of a kab/kota or province area, resolved from the database when the actor is made (`from_user`):
    # its kecamatan (what the permissions on records compare with) and the area's Kemendagri code
    # (what an account's area is compared with: a code within it starts with it).
    area_kecamatan: frozenset[int] | None = None
    area_code: str | None = None
    tps_id: int | None = None  # field officer scope
    medic_station_id: int | None = None  # medic scope
    person_id: int | None = None  # the courier's, medic's or officer's own Person row
    agency: str | None = None  # partner scope
    scopes: frozenset[str] = frozenset()  # API token scopes (e.g. "write:incidents"); empty for pages

    @property
    def nation_wide(self) -> bool:
        """No area: an admin or coordinator of the whole deployment."""
        return self.kecamatan_id is None and self.kota_id is None and self.provinsi_kode is None

    def scope_kecamatan(self) -> frozenset[int] | None:
        """The kecamatan of the actor's area; None for the whole nation. A kab/kota or province area not
        resolved (an actor made by hand) holds none: it is refused rather than widened."""
        if self.kecamatan_id is not None:
            return frozenset({self.kecamatan_id})
        if self.kota_id is not None or self.provinsi_kode is not None:
            return self.area_kecamatan or frozenset()
        return None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The app itself (seeding, scheduled jobs): acts with admin rights, audited by label."""
        return cls(role=Role.ADMIN, label=label)

    @classmethod
    def from_user(cls, user) -> Actor:
        area_kecamatan = area_code = None
        if user.role in (Role.ADMIN, Role.COORDINATOR) and not (
                user.kecamatan_id is None and user.kota_id is None and user.provinsi_kode is None):
            from sqlalchemy.orm import object_session

            from logistics.permissions.read_scope import area_of

            area_kecamatan, area_code = area_of(object_session(user), user.kecamatan_id, user.kota_id,
                                                user.provinsi_kode)
        return cls(
            role=user.role, label=user.username, user_id=user.id, kecamatan_id=user.kecamatan_id,
            kota_id=user.kota_id, provinsi_kode=user.provinsi_kode, area_kecamatan=area_kecamatan,
            area_code=area_code, tps_id=user.tps_id, medic_station_id=user.medic_station_id,
            person_id=user.person_id, agency=user.agency,
        )
