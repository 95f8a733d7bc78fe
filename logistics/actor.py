"""Who is acting: a plain value the service layer checks permissions against."""
from __future__ import annotations

from dataclasses import dataclass

from logistics.models.enums import Role


@dataclass(frozen=True)
class Actor:
    role: Role
    label: str  # username, or "system" / "seed"
    user_id: int | None = None
    kecamatan_id: int | None = None  # coordinator scope; None means the whole city
    tps_id: int | None = None  # field officer scope
    medic_station_id: int | None = None  # medic scope
    person_id: int | None = None  # the courier's, medic's or officer's own Person row
    agency: str | None = None  # partner scope
    scopes: frozenset[str] = frozenset()  # API token scopes (e.g. "write:incidents"); empty for pages

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The app itself (seeding, scheduled jobs): acts with admin rights, audited by label."""
        return cls(role=Role.ADMIN, label=label)

    @classmethod
    def from_user(cls, user) -> Actor:
        return cls(
            role=user.role, label=user.username, user_id=user.id, kecamatan_id=user.kecamatan_id,
            tps_id=user.tps_id, medic_station_id=user.medic_station_id, person_id=user.person_id,
            agency=user.agency,
        )
