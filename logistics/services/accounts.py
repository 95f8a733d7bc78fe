"""Accounts: create one, check a password."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from logistics.errors import ValidationFailed
from logistics.models import Role, User

# Each role's scope column, which must be set (coordinators: optional, none = whole city).
REQUIRED_SCOPE = {Role.FIELD_OFFICER: "tps_id", Role.MEDIC: "medic_station_id",
                  Role.COURIER: "person_id", Role.PARTNER: "agency"}


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def validate_scope(role: Role, **scope) -> None:
    field = REQUIRED_SCOPE.get(Role(role))
    if field and not scope.get(field):
        raise ValidationFailed(f"Peran {Role(role).label_id} membutuhkan {field}", {field: "Wajib diisi."})


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None or not user.active or not check_password_hash(user.password_hash, password or ""):
        return None
    return user
