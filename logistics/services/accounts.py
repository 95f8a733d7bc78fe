"""Accounts: create one, check a password, change it, switch a user off and on, end their sessions.
(Field staff logins in bulk, with one-time PIN cards: `logistics.services.field_accounts`.)

Every change that should end a user's browser sessions goes through `end_sessions`: it bumps
`User.session_version` (`siaga.auth` compares it with the version stored in the session cookie on each
request) and deletes the user's Web Push subscriptions, in the same transaction.
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from logistics.actor import Actor
from logistics.errors import PermissionDenied, ValidationFailed
from logistics.models import Kecamatan, Kelurahan, Kota, MedicStation, Person, Role, Tps, User
from logistics.permissions import Permission, Target, may, require
from logistics.permissions.read_scope import AREA_ROLES, account_kecamatan_id, person_kecamatan
from logistics.rules.time_zones import PROVINCE_ZONE
from logistics.rules.login_codes import card_usable, normalise_code
from logistics.services.common import audit, commit, load, snapshot
from logistics.services.push_subscriptions import end_subscriptions
from logistics.timeutil import utcnow
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work

# Each role's scope column, which must be set (coordinators: optional, none = whole city).
REQUIRED_SCOPE = {Role.FIELD_OFFICER: "tps_id", Role.MEDIC: "medic_station_id",
                  Role.COURIER: "person_id", Role.PARTNER: "agency"}

# New passwords (OWASP ASVS 2.1.1 / 2.1.2): at least 12 characters, long passphrases allowed.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128

# The hash of a random password nobody knows: an unknown username is checked against it, so a login
# costs one scrypt whether or not the username exists (no timing difference to find usernames by).
# Same method and parameters as hash_password(); tests/test_sessions.py checks they stay alike.
_DUMMY_HASH = ("scrypt:32768:8:1$ISFHBgYcgjV9m56R$d4a7ec620d70ea07578378fe84170f6d510c3e33df6ee7a3df88f3e2504fb68"
               "9977a730a0740d2721b61ee47c2b440b448ea818fe6eedfb69db31650f21e8f95")


def hash_password(password: str) -> str:
    return generate_password_hash(password)


# An admin's or coordinator's area: at most one of these (none: the whole nation).
AREA_FIELDS = ("provinsi_kode", "kota_id", "kecamatan_id")


def validate_scope(role: Role, **scope) -> None:
    field = REQUIRED_SCOPE.get(Role(role))
    if field and not scope.get(field):
        raise ValidationFailed(lazy_gettext("Peran {role} membutuhkan {field}", role=Role(role).label, field=field),
                               {field: lazy_gettext("Wajib diisi.")})
    areas = [name for name in AREA_FIELDS if scope.get(name)]
    if Role(role) in AREA_ROLES and len(areas) > 1:
        message = lazy_gettext("Pilih satu wilayah saja: provinsi, kota/kabupaten atau kecamatan.")
        raise ValidationFailed(message, {name: message for name in areas})
    code = scope.get("provinsi_kode")
    if code and code not in PROVINCE_ZONE:
        message = lazy_gettext("Kode provinsi tidak dikenal (dua angka Kemendagri, mis. 19).")
        raise ValidationFailed(message, {"provinsi_kode": message})


def scope_values(session: Session, role: Role, **scope) -> dict:
    """The scope columns of an account of `role`, checked: a province or kab/kota is an area of admins and
    coordinators only (cleared for other roles), and a kab/kota must exist."""
    values = {name: scope.get(name) or None for name in SCOPE_FIELDS}
    if Role(role) not in AREA_ROLES:
        values.update(kota_id=None, provinsi_kode=None)
    validate_scope(role, **values)
    if values["kota_id"] is not None and session.get(Kota, values["kota_id"]) is None:
        message = lazy_gettext("Kota/kabupaten tidak ditemukan.")
        raise ValidationFailed(message, {"kota_id": message})
    if values["kecamatan_id"] is not None and session.get(Kecamatan, values["kecamatan_id"]) is None:
        message = lazy_gettext("Kecamatan tidak ditemukan.")
        raise ValidationFailed(message, {"kecamatan_id": message})
    return values


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalise_username(username)))


def normalise_username(username: str | None) -> str:
    return (username or "").strip().lower()


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches `stored_hash`, always at the cost of one scrypt: a missing user, or a
    stored value that is no hash (an account whose card is not printed yet), is checked against the dummy
    hash, so the answer's time says nothing about the account."""
    usable = stored_hash is not None and stored_hash.count("$") == 2  # werkzeug's "method$salt$hash"
    matches = check_password_hash(stored_hash if usable else _DUMMY_HASH, password or "")
    return usable and matches


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password (or login card code), or None. Always runs one
    password hash, whatever the account's state."""
    user = find_user(session, username)
    if user is not None and user.must_change_password:
        return _log_in_with_card(session, user, password)
    matches = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not user.active or not matches:
        return None
    return user


@in_unit_of_work
def _log_in_with_card(session: Session, user: User, typed: str) -> User | None:
    """A login with the one-time code of a login card (logistics/rules/login_codes.py): a wrong code counts
    against the card; the right one is used up by a conditional UPDATE, so of two logins sent at once with
    the same code exactly one gets in. Committed here: both must stand whatever the request does next."""
    matches = verify_password(user.password_hash, normalise_code(typed or ""))
    if not user.active or not card_usable(user.pin_issued_at, user.pin_used_at, user.pin_failures, utcnow()):
        return None
    mine = update(User).where(User.id == user.id)
    if not matches:
        session.execute(mine.values(pin_failures=User.pin_failures + 1))
        commit(session)
        return None
    used = session.execute(mine.where(User.pin_used_at.is_(None)).values(pin_used_at=utcnow()))
    commit(session)
    return user if used.rowcount == 1 else None


def account_target(session: Session, user: User) -> Target:
    """What the account permissions need to know about an account: its kecamatan, its area and role."""
    kecamatan_id = account_kecamatan_id(session, user)
    return Target(kecamatan_id=kecamatan_id, account_role=user.role,
                  account_area_code=area_code(session, kecamatan_id, user.kota_id, user.provinsi_kode))


def area_code(session: Session, kecamatan_id: int | None, kota_id: int | None, provinsi_kode: str | None) -> str | None:
    """The Kemendagri code of an account's area (a kecamatan's, a kab/kota's, a province's); None: none."""
    if kecamatan_id is not None:
        return session.scalar(select(Kecamatan.kode_kemendagri).where(Kecamatan.id == kecamatan_id))
    if kota_id is not None:
        return session.scalar(select(Kota.kode_kemendagri).where(Kota.id == kota_id))
    return provinsi_kode


def area_scope_of_code(session: Session, kode: str) -> dict:
    """The scope values of an area given by its Kemendagri code (`flask set-scope`): a province's two digits,
    a kab/kota or kecamatan stored; empty: the nation. ValueError for a code that is none of these."""
    kode = (kode or "").strip()
    if not kode:
        return {}
    if "." not in kode:
        if kode not in PROVINCE_ZONE:
            raise ValueError(f"provinsi tidak dikenal / unknown province: {kode}")
        return {"provinsi_kode": kode}
    kota_id = session.scalar(select(Kota.id).where(Kota.kode_kemendagri == kode))
    if kota_id is not None:
        return {"kota_id": kota_id}
    kecamatan_id = session.scalar(select(Kecamatan.id).where(Kecamatan.kode_kemendagri == kode))
    if kecamatan_id is not None:
        return {"kecamatan_id": kecamatan_id}
    raise ValueError(f"kota/kabupaten atau kecamatan tidak tersimpan / no such area stored: {kode}")


def scope_target(session: Session, role: Role, values: dict) -> Target:
    """`account_target` of an account with these scope values (before they are stored): an admin of an
    area gives only scopes within it."""
    kecamatan_id = values.get("kecamatan_id")
    if values.get("tps_id"):
        kecamatan_id = session.scalar(select(Kelurahan.kecamatan_id).join(Tps, Tps.kelurahan_id == Kelurahan.id)
                                      .where(Tps.id == values["tps_id"]))
    elif values.get("medic_station_id"):
        kecamatan_id = session.scalar(select(MedicStation.kecamatan_id)
                                      .where(MedicStation.id == values["medic_station_id"]))
    elif values.get("person_id"):
        kecamatan_id = session.scalar(select(person_kecamatan()).where(Person.id == values["person_id"]))
    return Target(kecamatan_id=kecamatan_id, account_role=Role(role),
                  account_area_code=area_code(session, kecamatan_id, values.get("kota_id"),
                                              values.get("provinsi_kode")))


def require_scope_given(session: Session, actor: Actor, role: Role, values: dict) -> None:
    """The scope an admin gives (a new account, or a changed one) must be within the admin's own area."""
    require(may(actor, Permission.ACCOUNT_ADMIN, scope_target(session, role, values)),
            lazy_gettext("Wilayah ini di luar kewenangan Anda"))


def require_on_account(session: Session, actor: Actor, permission: Permission, user: User) -> None:
    """Admins (and the CLI, which acts as the system with admin rights) manage every account; a
    kecamatan coordinator the field staff of their kecamatan (`logistics.permissions`)."""
    require(may(actor, permission, account_target(session, user)),
            lazy_gettext("Akun ini di luar kewenangan Anda"))


def check_new_password(user: User, new_password: str) -> None:
    """Refuse a password that is too short, too long, or the username itself (field: new_password)."""
    message = None
    if len(new_password) < PASSWORD_MIN_LENGTH:
        message = lazy_gettext("Kata sandi baru minimal 12 karakter.")
    elif len(new_password) > PASSWORD_MAX_LENGTH:
        message = lazy_gettext("Kata sandi baru maksimal 128 karakter.")
    elif new_password.strip().lower() == user.username:
        message = lazy_gettext("Kata sandi baru tidak boleh sama dengan nama pengguna.")
    if message:
        raise ValidationFailed(message, {"new_password": message})


def end_sessions(session: Session, user: User) -> None:
    """Every session of the user ends, on every device, and so do their push notifications."""
    user.session_version += 1
    end_subscriptions(session, user.id)


@in_unit_of_work
def _change(session: Session, actor: Actor, user: User, action: str, **changes) -> User:
    """Apply `changes`, end every session of the user (a new session version), audit, commit.
    (The audit snapshot never holds the password hash: services.common leaves it out.)"""
    before = snapshot(user)
    for name, value in changes.items():
        setattr(user, name, value)
    end_sessions(session, user)
    audit(session, actor, action, user, before)
    commit(session)
    return user


def change_password(session: Session, actor: Actor, user_id: int, old_password: str, new_password: str) -> User:
    """The user changes their own password (the old one is required); their other sessions end."""
    user = load(session, User, user_id, "Pengguna")
    if actor.user_id != user.id:
        raise PermissionDenied(lazy_gettext("Hanya pemilik akun yang boleh mengganti kata sandinya"))
    if not check_password_hash(user.password_hash, old_password or ""):
        message = lazy_gettext("Kata sandi lama salah.")
        raise ValidationFailed(message, {"old_password": message})
    if new_password == old_password:
        message = lazy_gettext("Kata sandi baru harus berbeda dari yang lama.")
        raise ValidationFailed(message, {"new_password": message})
    check_new_password(user, new_password)
    return _change(session, actor, user, "user.password_changed", password_hash=hash_password(new_password),
                   must_change_password=False)


def set_password(session: Session, actor: Actor, user_id: int, new_password: str) -> User:
    """An admin sets a user's password (forgotten, or handed over); the user's sessions end."""
    user = load(session, User, user_id, "Pengguna")
    require_on_account(session, actor, Permission.ACCOUNT_ADMIN, user)
    check_new_password(user, new_password)
    return _change(session, actor, user, "user.password_set", password_hash=hash_password(new_password))


def deactivate_user(session: Session, actor: Actor, user_id: int) -> User:
    """Switch an account off: no login, its sessions end, API tokens bound to it stop working."""
    user = load(session, User, user_id, "Pengguna")
    require_on_account(session, actor, Permission.ACCOUNT_REVOKE, user)
    return _change(session, actor, user, "user.deactivated", active=False)


def reactivate_user(session: Session, actor: Actor, user_id: int) -> User:
    user = load(session, User, user_id, "Pengguna")
    require_on_account(session, actor, Permission.ACCOUNT_REVOKE, user)
    return _change(session, actor, user, "user.reactivated", active=True)


def revoke_sessions(session: Session, actor: Actor, user_id: int) -> User:
    """End every browser session of a user (a lost phone) without changing anything else."""
    user = load(session, User, user_id, "Pengguna")
    require_on_account(session, actor, Permission.ACCOUNT_REVOKE, user)
    return _change(session, actor, user, "user.sessions_revoked")


SCOPE_FIELDS = ("provinsi_kode", "kota_id", "kecamatan_id", "tps_id", "medic_station_id", "person_id", "agency")
USERNAME_PATTERN = r"[a-z0-9][a-z0-9._-]{2,59}"


def check_username(session: Session, username: str, user_id: int | None = None) -> str:
    """A new username: 3-60 of a-z 0-9 . _ - (what a phone keyboard types), not taken."""
    import re

    name = normalise_username(username)
    message = None
    if not re.fullmatch(USERNAME_PATTERN, name):
        message = lazy_gettext("3-60 huruf kecil, angka, titik, garis bawah atau tanda hubung.")
    elif (other := find_user(session, name)) is not None and other.id != user_id:
        message = lazy_gettext("Nama pengguna sudah dipakai.")
    if message:
        raise ValidationFailed(message, {"username": message})
    return name


def update_account(session: Session, actor: Actor, user_id: int, *, full_name: str, role: Role, **scope) -> User:
    """An admin changes an account's name, role and scope (the scope columns the role does not use are
    cleared). Its sessions end: the next login acts with the new rights."""
    user = load(session, User, user_id, "Pengguna")
    require_on_account(session, actor, Permission.ACCOUNT_ADMIN, user)
    role = Role(role)
    values = scope_values(session, role, **scope)
    require_scope_given(session, actor, role, values)
    return _change(session, actor, user, "user.updated", full_name=full_name, role=role, **values)


def set_first_password(session: Session, actor: Actor, user_id: int, new_password: str) -> User:
    """The first login after a one-time PIN: the user picks their own password (no old one asked: they
    have just logged in with the PIN). The PIN stops working; other sessions end."""
    user = load(session, User, user_id, "Pengguna")
    if actor.user_id != user.id or not user.must_change_password:
        raise PermissionDenied(lazy_gettext("Hanya untuk masuk pertama dengan PIN"))
    check_new_password(user, new_password)
    if check_password_hash(user.password_hash, new_password):
        message = lazy_gettext("Kata sandi baru harus berbeda dari PIN.")
        raise ValidationFailed(message, {"new_password": message})
    return _change(session, actor, user, "user.first_password_set", password_hash=hash_password(new_password),
                   must_change_password=False)


@in_unit_of_work
def record_login(session: Session, user: User) -> None:
    """Remember when the user last logged in (the H-1 readiness list). Not audited: a login is not a
    change of the account, and the audit trail would grow with every one."""
    user.last_login_at = utcnow()
    commit(session)


def log_out(session: Session, actor: Actor) -> User:
    """The user logs out: every copy of their session cookies, on every device, stops working."""
    user = load(session, User, actor.user_id, "Pengguna")
    return _change(session, actor, user, "user.logged_out")


@in_unit_of_work
def create_admin(session: Session, actor: Actor, username: str, password: str, full_name: str = "Admin") -> User:
    """The first admin of a new deployment (no demo seed): who then sets the area up in the app."""
    require(may(actor, Permission.ACCOUNT_ADMIN), lazy_gettext("Hanya admin"))
    user = User(username=check_username(session, username), full_name=full_name, role=Role.ADMIN, password_hash="")
    check_new_password(user, password)
    user.password_hash = hash_password(password)
    session.add(user)
    audit(session, actor, "user.created", user, None)
    commit(session)
    return user
