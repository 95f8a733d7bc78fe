"""Records for tests: builders that make what a test needs in any database (the seeded city or an empty
one, `empty_session`), and small look-ups in the seeded city that older tests share.

Each builder makes its parents when not given (a TPS makes its kelurahan, kecamatan and kota), with
unique codes, and flushes, so the rows have ids.
"""
from __future__ import annotations

import itertools
from datetime import datetime, time, timezone

from sqlalchemy import select

from logistics.actor import Actor
from logistics.models import (
    Delivery, DeliveryKind, Kecamatan, Kelurahan, Kota, MealRound, MedicStation, Person, PersonRole, Role, Tps,
    TpsCoverage, User,
)

_serial = itertools.count(1)
NOON_WIB = datetime(2029, 2, 14, 5, 0, tzinfo=timezone.utc)  # 12:00 WIB on a test election day


def _next() -> int:
    return next(_serial)


# Area codes keep Kemendagri's shape and the column's 13 characters (`pp.kk.cc.dddd`; only PostgreSQL checks
# the length): each level counts on its own and wraps, so a long session never grows a code.
_area_serials = {level: itertools.count(1) for level in ("kota", "kecamatan", "kelurahan")}


def _area_number(level: str, width: int) -> int:
    return (next(_area_serials[level]) - 1) % (10 ** width - 1) + 1


def _area(lon: float, lat: float) -> dict:
    """A small square around (lon, lat): the boundary columns every area has (siaga.seeding.common)."""
    from siaga.seeding.common import bbox_fields

    d = 0.01
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]
    return bbox_fields({"type": "Polygon", "coordinates": [ring]}, lat, lon)


def _added(session, record):
    session.add(record)
    session.flush()
    return record


def make_kota(session, province: str = "99", **values) -> Kota:
    """`province`: the Kemendagri province code, which sets the area's zone (logistics/rules/time_zones.py):
    "91" Papua or "81" Maluku for a WIT area, "73" for WITA. "99" is no province (a test area the zones
    never read)."""
    n = _area_number("kota", 2)
    return _added(session, Kota(**{"kode_kemendagri": f"{province}.{n:02d}", "nama": f"Kota Uji {n}",
                                   "provinsi": "Provinsi Uji", **_area(113.9, -2.2), **values}))


def make_kecamatan(session, kota: Kota | None = None, **values) -> Kecamatan:
    kota = kota or make_kota(session)
    n = _area_number("kecamatan", 2)
    return _added(session, Kecamatan(**{"kota_id": kota.id, "kode_kemendagri": f"{kota.kode_kemendagri}.{n:02d}",
                                        "nama": f"Kecamatan Uji {n}", **_area(113.9, -2.2), **values}))


def make_kelurahan(session, kecamatan: Kecamatan | None = None, **values) -> Kelurahan:
    kecamatan = kecamatan or make_kecamatan(session)
    n = _area_number("kelurahan", 4)
    return _added(session, Kelurahan(**{"kecamatan_id": kecamatan.id,
                                        "kode_kemendagri": f"{kecamatan.kode_kemendagri}.{n:04d}",
                                        "nama": f"Kelurahan Uji {n}", **_area(113.9, -2.2), **values}))


def make_tps(session, kelurahan: Kelurahan | None = None, *, kecamatan: Kecamatan | None = None, **values) -> Tps:
    kelurahan = kelurahan or make_kelurahan(session, kecamatan)
    n = _next()
    return _added(session, Tps(**{"code": f"{kelurahan.kode_kemendagri}-{n:03d}", "kelurahan_id": kelurahan.id,
                                  "number": n, "address": f"Jl. Uji {n}", "lat": -2.2 - n / 1000,
                                  "lon": 113.9 + n / 1000, "dpt": 250, **values}))


def make_station(session, kecamatan: Kecamatan | None = None, **values) -> MedicStation:
    kecamatan = kecamatan or make_kecamatan(session)
    n = _next()
    return _added(session, MedicStation(**{"code": f"POS-UJI-{n}", "name": f"Pos Uji {n}",
                                           "kecamatan_id": kecamatan.id, "lat": -2.2, "lon": 113.9,
                                           "hours_from": time(6), "hours_to": time(18), **values}))


def make_person(session, role: PersonRole = PersonRole.KPPS_KETUA, *, tps: Tps | None = None, **values) -> Person:
    n = _next()
    return _added(session, Person(**{"code": f"ORANG-UJI-{n}", "name": f"Orang Uji {n}", "role": role,
                                     "tps_id": tps.id if tps is not None else None, **values}))


def make_meal(session, tps: Tps | None = None, meal_round: MealRound = MealRound.SIANG, *,
              courier: Person | None = None, planned_at: datetime = NOON_WIB, **values) -> Delivery:
    tps = tps or make_tps(session)
    n = _next()
    return _added(session, Delivery(**{"ref": f"uji-meal-{n}", "tps_id": tps.id, "kind": DeliveryKind.MEAL,
                                       "meal_round": meal_round, "quantity_planned": 7, "planned_at": planned_at,
                                       "courier_id": courier.id if courier is not None else None, **values}))


def make_user(session, role: Role, **values) -> User:
    n = _next()
    return _added(session, User(**{"username": f"uji-{role.value}-{n}", "full_name": f"Pengguna Uji {n}",
                                   "role": role, "password_hash": "!", **values}))  # no password: never logs in


def actor_of(session, role: Role, **values) -> Actor:
    """The actor of a new account of `role` with these scope values (tps_id, kecamatan_id, ...)."""
    return Actor.from_user(make_user(session, role, **values))


# --- look-ups in the seeded city (the demo accounts meet there: siaga/seeding/accounts.py) ---

def tps_of(session, username_actor) -> Tps:
    return session.get(Tps, username_actor.tps_id)


def other_tps(session, not_id: int, kecamatan_name: str | None = None) -> Tps:
    query = select(Tps).where(Tps.id != not_id).order_by(Tps.code)
    if kecamatan_name:
        query = query.join(Kelurahan).join(Kecamatan).where(Kecamatan.nama == kecamatan_name)
    return session.scalars(query).first()


def meal(session, tps_id: int, meal_round: MealRound = MealRound.SIANG) -> Delivery:
    """The TPS's meal of `meal_round`; made when the database has none (an empty one)."""
    found = session.scalar(select(Delivery).where(
        Delivery.tps_id == tps_id, Delivery.kind == DeliveryKind.MEAL, Delivery.meal_round == meal_round))
    return found if found is not None else make_meal(session, session.get(Tps, tps_id), meal_round)


def tps_not_covered_by(session, station_id: int) -> Tps:
    """A TPS whose nearest medic station is not `station_id`: outside that station's medics' scope (the demo
    officer's TPS is inside the demo medic's, siaga/seeding/accounts.py)."""
    covered = select(TpsCoverage.tps_id).where(TpsCoverage.medic_station_id == station_id)
    return session.scalar(select(Tps).where(Tps.id.not_in(covered)).order_by(Tps.code).limit(1))


def save(session) -> None:
    """Commit what a test changed by hand as every writer does, in a unit of work: its data versions bumped
    and its coverage kept (logistics/services/unit_of_work.py; a bare commit of such a change fails)."""
    from logistics.services.unit_of_work import UnitOfWork

    with UnitOfWork(session) as uow:
        uow.commit()
