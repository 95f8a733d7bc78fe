"""People on duty for the demo: 7 KPPS and 2 Linmas per TPS, 3 PPS per kelurahan, one courier per
10 TPS for each kecamatan's catering vendor, and 3 medics per station. Names and phones are synthetic."""
from __future__ import annotations

import math

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import Kecamatan, Kelurahan, MedicStation, Person, PersonRole, Tps, Vendor
from siaga.seeding.common import add_missing

GIVEN = ["Ahmad", "Siti", "Rudi", "Dewi", "Hendra", "Nurul", "Bambang", "Rina", "Agus", "Fitri", "Yusuf",
         "Lestari", "Andi", "Wulan", "Joko", "Aisyah", "Rahmat", "Indah", "Fajar", "Maya", "Hasan", "Desi",
         "Irwan", "Sari", "Taufik", "Yuni", "Budi", "Ratna", "Eko", "Novi", "Dedi", "Putri", "Arif"]
FAMILY = ["Saputra", "Lestari", "Hidayat", "Wijaya", "Pratama", "Rahman", "Kurniawan", "Susanti", "Setiawan",
          "Nugroho", "Syahputra", "Anggraini", "Firmansyah", "Maulana", "Permata", "Hakim", "Ramadhan"]
KPPS_PER_TPS, LINMAS_PER_TPS, PPS_PER_KELURAHAN, MEDICS_PER_STATION = 7, 2, 3, 3
TPS_PER_COURIER = 10  # a route of ~10 stops per round keeps meals within the hour


def synthetic_name(n: int) -> str:
    return f"{GIVEN[n % len(GIVEN)]} {FAMILY[(n // len(GIVEN) + n) % len(FAMILY)]}"


def seed(session: Session) -> dict[str, tuple[int, int]]:
    records: list[dict] = []

    def person(code: str, role: PersonRole, **where) -> None:
        n = len(records)
        records.append(dict(code=code, role=role, name=synthetic_name(n), phone=f"0800-{n // 10000:04d}-{n % 10000:04d}",
                            **where))

    for tps in session.scalars(select(Tps).order_by(Tps.code)):
        for i in range(1, KPPS_PER_TPS + 1):
            person(f"{tps.code}-K{i}", PersonRole.KPPS_KETUA if i == 1 else PersonRole.KPPS_ANGGOTA, tps_id=tps.id)
        for i in range(1, LINMAS_PER_TPS + 1):
            person(f"{tps.code}-L{i}", PersonRole.LINMAS, tps_id=tps.id)
    for kel in session.scalars(select(Kelurahan).order_by(Kelurahan.kode_kemendagri)):
        for i in range(1, PPS_PER_KELURAHAN + 1):
            person(f"PPS-{kel.kode_kemendagri}-{i}", PersonRole.PPS, kelurahan_id=kel.id)
    tps_per_kecamatan = dict(session.execute(
        select(Kelurahan.kecamatan_id, func.count(Tps.id)).join(Tps, Tps.kelurahan_id == Kelurahan.id)
        .group_by(Kelurahan.kecamatan_id)).all())
    vendors = {v.kecamatan_id: v.id for v in session.scalars(select(Vendor))}
    for kec in session.scalars(select(Kecamatan).order_by(Kecamatan.kode_kemendagri)):
        for i in range(1, math.ceil(tps_per_kecamatan.get(kec.id, 0) / TPS_PER_COURIER) + 1):
            person(f"KURIR-{kec.kode_kemendagri}-{i}", PersonRole.COURIER, kecamatan_id=kec.id,
                   vendor_id=vendors.get(kec.id))
    for station in session.scalars(select(MedicStation).order_by(MedicStation.code)):
        for i in range(1, MEDICS_PER_STATION + 1):
            person(f"MEDIS-{station.code}-{i}", PersonRole.MEDIC, medic_station_id=station.id,
                   kecamatan_id=station.kecamatan_id)
    return {"person": add_missing(session, Person.code, records)}
