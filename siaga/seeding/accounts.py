"""Demo accounts (README lists them). Password `siaga2025` unless DEMO_PASSWORD is set.

The demo accounts meet: `medis` is rostered at the station nearest to `petugas`'s TPS (tps_coverage),
so an incident the officer reports lands in the medic's queue. Then the field staff of Gerunggang get their logins (ketua KPPS per TPS, couriers, medics), as
`provision-accounts` makes them but without PINs: their login cards are printed from /admin/pengguna
("Cetak ulang"), which is when the PINs are made. People who already have a demo account keep it."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.models import Kecamatan, Kelurahan, MedicStation, Person, PersonRole, Role, Tps, User
from logistics.queries.coverage import covering_station
from logistics.services.accounts import hash_password
from logistics.services.field_accounts import provision
from siaga.seeding.common import add_missing


def seed(session: Session, password: str) -> dict[str, tuple[int, int]]:
    have = set(session.scalars(select(User.username)))
    gerunggang = session.scalar(select(Kecamatan).where(Kecamatan.nama == "Gerunggang"))
    first_kelurahan = session.scalar(select(Kelurahan).order_by(Kelurahan.kode_kemendagri).limit(1))
    petugas_tps = session.scalar(select(Tps).where(Tps.kelurahan_id == first_kelurahan.id, Tps.number == 1))
    ketua = session.scalar(select(Person).where(Person.tps_id == petugas_tps.id, Person.role == PersonRole.KPPS_KETUA))
    courier = session.scalar(select(Person).where(Person.role == PersonRole.COURIER, Person.kecamatan_id == gerunggang.id)
                             .order_by(Person.code).limit(1))
    # The demo medic works at the station nearest to the demo officer's TPS, so the officer's incident
    # reaches the medic (in Girimaya's post, across the kecamatan border from Semabung Lama).
    station = session.get(MedicStation, covering_station(session, petugas_tps))
    medic = session.scalar(select(Person).where(Person.medic_station_id == station.id).order_by(Person.code).limit(1))
    accounts = [
        dict(username="admin", full_name="Admin Siaga TPS", role=Role.ADMIN),
        # Synthetic numbers (0800: not a mobile range) so the demo's SMS notices reach the coordinators.
        dict(username="koordinator", full_name="Koordinator Kota Pangkalpinang", role=Role.COORDINATOR,
             phone="+628009000001"),
        dict(username="camat-gerunggang", full_name="Koordinator Kecamatan Gerunggang", role=Role.COORDINATOR,
             kecamatan_id=gerunggang.id, phone="+628009000002"),
        dict(username="petugas", full_name=ketua.name, role=Role.FIELD_OFFICER, tps_id=petugas_tps.id,
             person_id=ketua.id),
        dict(username="kurir", full_name=courier.name, role=Role.COURIER, person_id=courier.id,
             kecamatan_id=gerunggang.id),
        dict(username="medis", full_name=medic.name, role=Role.MEDIC, medic_station_id=station.id, person_id=medic.id),
        dict(username="mitra", full_name="Dinas Kesehatan Kota Pangkalpinang", role=Role.PARTNER, agency="Dinkes"),
    ]
    # Hash only for the accounts about to be created: scrypt is slow on purpose.
    records = [dict(a, password_hash=hash_password(password)) for a in accounts if a["username"] not in have]
    _total, added = add_missing(session, User.username, records)
    field_staff, _cards = provision(session, Actor.system("seed"), gerunggang.id,
                                    (Role.FIELD_OFFICER, Role.COURIER, Role.MEDIC), issue_pins=False)
    return {"app_user": (session.scalar(select(func.count()).select_from(User)), added + len(field_staff))}
