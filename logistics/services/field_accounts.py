"""Logins for field staff, made in bulk from the people already imported, each with a one-time PIN.

One login per ketua KPPS (scoped to their TPS), courier, medic (their station) and kecamatan
coordinator (one per kecamatan). Provisioning is keyed by the person (coordinators: by the kecamatan),
so running it again makes no second account. A PIN is a one-time code of 10 characters from `secrets`
(logistics/rules/login_codes.py: single use, limited tries, expiring), stored only as the usual scrypt hash; its plain text exists only in the `Card`s returned to the caller, which prints them
(the login cards PDF is the one time a PIN is shown). The first login with a PIN must set the user's
own password (`User.must_change_password`, enforced by siaga/first_login.py).

A new PIN for an account (a reset, or a re-print of the cards of those who have not logged in yet)
replaces the old one and ends every session of the account (a new `session_version`).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import ValidationFailed
from logistics.models import Kecamatan, Kelurahan, MedicStation, Person, PersonRole, Role, Tps, User
from logistics.permissions import Permission, Target, may, require
from logistics.permissions.read_scope import person_kecamatan, account_kecamatan, visible
from logistics.rules.login_codes import new_code
from logistics.services.accounts import (
    check_username, end_sessions, hash_password, require_on_account, require_scope_given, scope_values,
)
from logistics.services.common import audit, commit, load, snapshot
from logistics.timeutil import utcnow
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work

# The roles provisioned from people, in the order cards are printed; coordinators: one per kecamatan.
PROVISIONED_ROLES = (Role.FIELD_OFFICER, Role.COURIER, Role.MEDIC, Role.COORDINATOR)
PERSON_ROLE = {Role.FIELD_OFFICER: PersonRole.KPPS_KETUA, Role.COURIER: PersonRole.COURIER,
               Role.MEDIC: PersonRole.MEDIC}
# Stored until a first card is printed (the demo seed makes accounts without PINs): no password matches
# it (werkzeug refuses a hash without a method), so the account cannot be used before its card exists.
NO_PIN_YET = "!no-pin-yet"


@dataclass(frozen=True)
class Card:
    """One login card: who, where, the username and the one-time PIN (in memory only)."""

    username: str
    full_name: str
    role_label: str
    place: str  # the TPS, the medic station, or the kecamatan
    kecamatan: str
    pin: str


def username_part(code: str) -> str:
    """A code as field staff can type it: lower case, letters, digits and dashes (19.71.05 -> 197105)."""
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "", code.lower())).strip("-")


def _free_username(base: str, taken: set[str]) -> str:
    name, n = base[:56], 2
    while name in taken:
        name, n = f"{base[:53]}-{n}", n + 1
    taken.add(name)
    return name


def _wanted(session: Session, role: Role, kecamatan_id: int) -> list[dict]:
    """The accounts the people (or, for coordinators, the kecamatan) of `kecamatan_id` call for, with the
    username each would get. Keyed by `person_id` (coordinators: `kecamatan_id`)."""
    if role == Role.COORDINATOR:
        kecamatan = session.get(Kecamatan, kecamatan_id)
        return [dict(key=("kecamatan", kecamatan_id), username=f"koordinator-{username_part(kecamatan.nama.replace(' ', '-'))}",
                     full_name=f"Koordinator Kecamatan {kecamatan.nama}", role=role, kecamatan_id=kecamatan_id)]
    people = session.scalars(select(Person).where(Person.role == PERSON_ROLE[role], Person.active.is_(True),
                                                  person_kecamatan() == kecamatan_id).order_by(Person.code))
    wanted = []
    for person in people:
        values = dict(key=("person", person.id), full_name=person.name, role=role, person_id=person.id)
        if role == Role.FIELD_OFFICER:
            if person.tps_id is None:
                continue
            values.update(username="tps-" + username_part(person.tps.code), tps_id=person.tps_id)
        elif role == Role.COURIER:
            values.update(username=username_part(person.code), kecamatan_id=kecamatan_id)
        else:
            if person.medic_station_id is None:
                continue
            values.update(username=username_part(person.code), medic_station_id=person.medic_station_id)
        wanted.append(values)
    return wanted


def pin_and_hash(pins: Iterator[tuple[str, str]] | None = None) -> tuple[str, str]:
    """A new PIN and its hash: the next of `pins` (made ahead, e.g. by a worker job showing progress),
    else made now."""
    for made in pins or ():
        return made
    pin = new_code()
    return pin, hash_password(pin)


def _missing(session: Session, kecamatan_id: int, roles) -> list[dict]:
    """The accounts `provision` would make: wanted and not there yet."""
    have_people = set(session.scalars(select(User.person_id).where(User.person_id.is_not(None))))
    have_coordinators = set(session.scalars(select(User.kecamatan_id).where(
        User.role == Role.COORDINATOR, User.kecamatan_id.is_not(None))))
    missing = []
    for role in sorted((Role(r) for r in roles), key=PROVISIONED_ROLES.index):
        for values in _wanted(session, role, kecamatan_id):
            kind, key = values.pop("key")
            if key not in (have_coordinators if kind == "kecamatan" else have_people):
                missing.append(values)
    return missing


def cards_needed(session: Session, actor: Actor, kecamatan_id: int, roles, *, reprinting: bool) -> int:
    """How many PINs a provisioning (or a re-print) of `roles` in the kecamatan will issue now; refused as
    the provisioning or re-print itself would be."""
    if reprinting:
        _check_reprint(session, actor, kecamatan_id, roles)
        return len(session.scalars(pending_cards_query(session, actor, kecamatan_id, roles)).all())
    return len(_missing(session, kecamatan_id, _check_provision(session, actor, kecamatan_id, roles)))


def _check_provision(session: Session, actor: Actor, kecamatan_id: int, roles) -> list[Role]:
    load(session, Kecamatan, kecamatan_id, "Kecamatan")
    roles = [Role(r) for r in roles]
    for role in roles:
        if role not in PROVISIONED_ROLES:
            raise ValidationFailed(lazy_gettext("Peran ini tidak dibuat dari data petugas"),
                                   {"role": lazy_gettext("Pilih salah satu dari daftar.")})
        require(may(actor, Permission.ACCOUNT_PROVISION, Target(kecamatan_id=kecamatan_id, account_role=role)),
                lazy_gettext("Anda tidak boleh membuat akun ini"))
    return roles


def _check_reprint(session: Session, actor: Actor, kecamatan_id: int, roles) -> None:
    load(session, Kecamatan, kecamatan_id, "Kecamatan")
    for role in roles:
        require(may(actor, Permission.ACCOUNT_RESET, Target(kecamatan_id=kecamatan_id, account_role=Role(role))),
                lazy_gettext("Anda tidak boleh mencetak kartu ini"))


@in_unit_of_work
def provision(session: Session, actor: Actor, kecamatan_id: int, roles=PROVISIONED_ROLES,
              issue_pins: bool = True, pins: Iterator[tuple[str, str]] | None = None) -> tuple[list[User], list[Card]]:
    """Make the missing logins of `roles` for the people of a kecamatan; return (new accounts, their
    cards). `issue_pins=False` (the demo seed) makes them without a PIN: their first card is a re-print.
    `pins`: (PIN, hash) pairs made ahead (`pin_and_hash`). Audited per account; one commit."""
    roles = _check_provision(session, actor, kecamatan_id, roles)
    taken = set(session.scalars(select(User.username)))
    made: list[tuple[User, str | None]] = []
    for values in _missing(session, kecamatan_id, roles):
        pin, hashed = pin_and_hash(pins) if issue_pins else (None, NO_PIN_YET)
        user = User(**{**values, "username": _free_username(values["username"], taken)},
                    password_hash=hashed, active=True,
                    must_change_password=True, pin_issued_at=utcnow() if pin else None, pin_failures=0)
        session.add(user)
        session.flush()
        audit(session, actor, "user.provisioned", user, None)
        made.append((user, pin))
    commit(session)
    return [u for u, _p in made], [card(session, u, p) for u, p in made if p]


def _issue_pin(session: Session, actor: Actor, user: User, action: str,
               pins: Iterator[tuple[str, str]] | None = None) -> Card:
    before = snapshot(user)
    pin, user.password_hash = pin_and_hash(pins)
    user.must_change_password = True
    user.pin_issued_at = utcnow()
    user.pin_used_at, user.pin_failures = None, 0  # a new card: its own single use and its own tries
    end_sessions(session, user)  # the old PIN's sessions end with it
    audit(session, actor, action, user, before)
    return card(session, user, pin)


@in_unit_of_work
def reset_pin(session: Session, actor: Actor, user_id: int) -> Card:
    """A new one-time PIN (a new card) for one account: the old PIN or password stops working and every
    session ends; the first login sets a new password again."""
    user = load(session, User, user_id, "Pengguna")
    require_on_account(session, actor, Permission.ACCOUNT_RESET, user)
    result = _issue_pin(session, actor, user, "user.pin_reset")
    commit(session)
    return result


@in_unit_of_work
def create_account(session: Session, actor: Actor, *, username: str, full_name: str, role: Role, **scope) -> Card:
    """An admin makes one account of any role, with a one-time PIN: its card."""
    require(actor.role == Role.ADMIN, lazy_gettext("Hanya admin"))
    role = Role(role)
    values = scope_values(session, role, **scope)
    require_scope_given(session, actor, role, values)
    pin = new_code()
    user = User(username=check_username(session, username), full_name=full_name, role=role, active=True,
                password_hash=hash_password(pin), must_change_password=True, pin_issued_at=utcnow(), pin_failures=0,
                **values)
    session.add(user)
    session.flush()
    audit(session, actor, "user.created", user, None)
    commit(session)
    return card(session, user, pin)


def pending_cards_query(session: Session, actor: Actor, kecamatan_id: int, roles):
    """Active accounts of `roles` in a kecamatan still waiting for their first login (a PIN not yet
    replaced by the user's own password), within what `actor` sees."""
    return (select(User).where(account_kecamatan() == kecamatan_id, User.role.in_([Role(r).value for r in roles]),
                               User.active.is_(True), User.must_change_password.is_(True),
                               visible(session, actor, User))
            .order_by(User.username))


@in_unit_of_work
def reprint(session: Session, actor: Actor, kecamatan_id: int, roles=PROVISIONED_ROLES,
            pins: Iterator[tuple[str, str]] | None = None) -> list[Card]:
    """New cards for the accounts of a kecamatan that have not set their own password yet: each gets a
    new PIN (the earlier card stops working). Those who already logged in keep their password."""
    _check_reprint(session, actor, kecamatan_id, roles)
    users = list(session.scalars(pending_cards_query(session, actor, kecamatan_id, roles)))
    for user in users:
        require_on_account(session, actor, Permission.ACCOUNT_RESET, user)
    cards = [_issue_pin(session, actor, user, "user.pin_reissued", pins) for user in users]
    commit(session)
    return cards


def card(session: Session, user: User, pin: str) -> Card:
    """What the card of `user` shows."""
    kecamatan_id = session.scalar(select(account_kecamatan()).where(User.id == user.id))
    kecamatan = session.get(Kecamatan, kecamatan_id) if kecamatan_id else None
    kecamatan_name = kecamatan.nama if kecamatan else "Kota"
    if user.tps_id is not None:
        tps = session.get(Tps, user.tps_id)
        kelurahan = session.get(Kelurahan, tps.kelurahan_id)
        place = f"{tps.label} {kelurahan.nama} ({tps.code})"
    elif user.medic_station_id is not None:
        place = session.get(MedicStation, user.medic_station_id).name
    else:
        place = f"Kecamatan {kecamatan_name}" if kecamatan else "Kota"
    return Card(username=user.username, full_name=user.full_name, role_label=Role(user.role).label_id, place=place,
                kecamatan=kecamatan_name, pin=pin)
