"""The demo's plans: logistics to every TPS on 26 Aug 2025, three meal rounds on 27 Aug 2025."""
from __future__ import annotations

import math
from datetime import date, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import Delivery, DeliveryKind, Kecamatan, Kelurahan, MealRound, Person, PersonRole, Tps
from logistics.timeutil import wib
from siaga.seeding.common import add_missing

ELECTION_DAY = date(2025, 8, 27)
LOGISTICS_DAY = ELECTION_DAY - timedelta(days=1)
MEAL_TIMES = {MealRound.PAGI: time(6, 0), MealRound.SIANG: time(12, 0), MealRound.MALAM: time(18, 30)}
ON_SITE_ROLES = (PersonRole.KPPS_KETUA, PersonRole.KPPS_ANGGOTA, PersonRole.LINMAS)
SPARE_BALLOTS = 0.025  # 2.5% reserve ballots per TPS, as KPU rules set


def logistics_items(dpt: int) -> list[tuple[str, int, str]]:
    """(item, quantity, unit) sent to one TPS."""
    return [("kotak_suara", 1, "unit"), ("surat_suara", math.ceil(dpt * (1 + SPARE_BALLOTS)), "lembar"),
            ("bilik_suara", 4, "unit"), ("tinta", 2, "botol"), ("segel", 1, "set"), ("formulir", 1, "set")]


def seed(session: Session) -> dict[str, tuple[int, int]]:
    headcount = dict(session.execute(
        select(Person.tps_id, func.count()).where(Person.role.in_(ON_SITE_ROLES)).group_by(Person.tps_id)
    ).all())
    rows = session.execute(
        select(Tps, Kecamatan.kode_kemendagri).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
        .join(Kecamatan, Kelurahan.kecamatan_id == Kecamatan.id).order_by(Tps.code)
    ).all()
    couriers: dict[str, list[Person]] = {}
    for courier in session.scalars(select(Person).where(Person.role == PersonRole.COURIER).order_by(Person.code)):
        couriers.setdefault(courier.kecamatan.kode_kemendagri, []).append(courier)
    by_kecamatan: dict[str, list[Tps]] = {}
    for tps, kode in rows:
        by_kecamatan.setdefault(kode, []).append(tps)

    records = []
    for kec_index, (kode, tps_list) in enumerate(sorted(by_kecamatan.items())):
        team = couriers.get(kode, [])
        for i, tps in enumerate(tps_list):
            # Each courier of the kecamatan's vendor takes a contiguous run of TPS (by code).
            courier = team[i * len(team) // len(tps_list)] if team else None
            for meal, at in MEAL_TIMES.items():
                records.append(dict(
                    ref=f"MEAL-{ELECTION_DAY.isoformat()}-{meal.value}-{tps.code}", tps_id=tps.id,
                    kind=DeliveryKind.MEAL, meal_round=meal, unit="porsi",
                    quantity_planned=headcount.get(tps.id, 0) or 1, planned_at=wib(ELECTION_DAY, at),
                    courier_id=courier.id if courier else None,
                ))
            for item, quantity, unit in logistics_items(tps.dpt):
                records.append(dict(
                    ref=f"LOG-{LOGISTICS_DAY.isoformat()}-{item}-{tps.code}", tps_id=tps.id,
                    kind=DeliveryKind.LOGISTICS, item=item, unit=unit, quantity_planned=quantity,
                    planned_at=wib(LOGISTICS_DAY, time(8 + kec_index, 0)),
                ))
    return {"delivery": add_missing(session, Delivery.ref, records)}
