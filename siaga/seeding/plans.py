"""The demo's plans: logistics to every TPS the day before the election day; the pagi, siang and malam
meal rounds on it (27 Aug 2025 unless ELECTION_DATE says otherwise), through the same planner as
`flask plan-meals` (which also adds the late snack)."""
from __future__ import annotations

import math
from datetime import date, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.models import Delivery, DeliveryKind, Kecamatan, Kelurahan, MealRound, Tps
from logistics.services.meal_plans import plan_meals
from logistics.rules.time_zones import zone_of
from logistics.timeutil import local_at
from siaga.seeding.common import add_missing

ELECTION_DAY = date(2025, 8, 27)  # the default election day of the demo city
DEMO_ROUNDS = (MealRound.PAGI, MealRound.SIANG, MealRound.MALAM)
SPARE_BALLOTS = 0.025  # 2.5% reserve ballots per TPS, as KPU rules set


def logistics_items(dpt: int) -> list[tuple[str, int, str]]:
    """(item, quantity, unit) sent to one TPS."""
    return [("kotak_suara", 1, "unit"), ("surat_suara", math.ceil(dpt * (1 + SPARE_BALLOTS)), "lembar"),
            ("bilik_suara", 4, "unit"), ("tinta", 2, "botol"), ("segel", 1, "set"), ("formulir", 1, "set")]


def seed(session: Session, election_day: date = ELECTION_DAY) -> dict[str, tuple[int, int]]:
    logistics_day = election_day - timedelta(days=1)
    rows = session.execute(
        select(Tps, Kecamatan.kode_kemendagri).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
        .join(Kecamatan, Kelurahan.kecamatan_id == Kecamatan.id).order_by(Tps.code)
    ).all()
    kecamatan_order = {kode: i for i, kode in enumerate(sorted({kode for _, kode in rows}))}
    records = [dict(
        ref=f"LOG-{logistics_day.isoformat()}-{item}-{tps.code}", tps_id=tps.id, kind=DeliveryKind.LOGISTICS,
        item=item, unit=unit, quantity_planned=quantity,
        planned_at=local_at(logistics_day, time(8 + kecamatan_order[kode], 0), zone_of(kode)),  # one kecamatan an hour
    ) for tps, kode in rows for item, quantity, unit in logistics_items(tps.dpt)]
    before = session.scalar(select(func.count()).select_from(Delivery))
    add_missing(session, Delivery.ref, records)
    plan_meals(session, Actor.system("seed"), election_day, DEMO_ROUNDS)
    total = session.scalar(select(func.count()).select_from(Delivery))
    return {"delivery": (total, total - before)}
