"""Meal plans: every TPS's rounds for its headcount, a vendor per kecamatan, couriers' routes."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import InvalidTransition, ValidationFailed
from logistics.models import (
    AuditEntry, Delivery, DeliveryKind, DeliveryStatus, Kecamatan, Kelurahan, MealRound, Person, PersonRole, Tps,
    Vendor,
)
from logistics.permissions import Permission, Target, may, require
from logistics.rules.routing import Stop, sweep_split
from logistics.services.common import audit, commit, load, snapshot
from logistics.services.routes import refresh_route
from logistics.settings import MEAL_TIMES, settings_for
from logistics.timeutil import local_at, to_local, utcnow
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work



@dataclass
class PlanResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    without_vendor: list[str] = field(default_factory=list)  # kecamatan names


def meal_ref(day: date, meal_round: MealRound, tps_code: str) -> str:
    return f"MEAL-{day.isoformat()}-{meal_round.value}-{tps_code}"


def headcounts(session: Session, tps_ids: Iterable[int]) -> dict[int, int]:
    """People posted at each TPS (KPPS, Linmas, and any PPS posted there), active only."""
    return dict(session.execute(
        select(Person.tps_id, func.count()).where(Person.tps_id.in_(list(tps_ids)), Person.active.is_(True))
        .group_by(Person.tps_id)).all())


@in_unit_of_work
def plan_meals(session: Session, actor: Actor, day: date, rounds: Iterable[MealRound] = tuple(MealRound),
               kecamatan_ids: Iterable[int] | None = None) -> PlanResult:
    """Create or update the day's meal deliveries; idempotent. Deliveries already on their way
    or finished are never changed."""
    rounds = [MealRound(r) for r in rounds]
    kec_query = select(Kecamatan).order_by(Kecamatan.kode_kemendagri)
    if kecamatan_ids is not None:
        kec_query = kec_query.where(Kecamatan.id.in_(list(kecamatan_ids)))
    result = PlanResult()
    settings = settings_for(session)  # meal round times and extra portions
    routes: set[tuple[int, MealRound]] = set()
    for kec in session.scalars(kec_query):
        require(may(actor, Permission.MEAL_PLAN, Target(kecamatan_id=kec.id)),
                lazy_gettext("Hanya koordinator yang dapat menyusun rencana konsumsi"))
        vendor = session.scalar(select(Vendor).where(Vendor.kecamatan_id == kec.id).order_by(Vendor.code).limit(1))
        if vendor is None:
            result.without_vendor.append(kec.nama)
        tps_list = session.scalars(select(Tps).join(Kelurahan).where(Kelurahan.kecamatan_id == kec.id)
                                   .order_by(Tps.code)).all()
        heads = headcounts(session, [t.id for t in tps_list])
        courier_of = _assign_couriers(session, vendor, tps_list)
        existing = {d.ref: d for d in session.scalars(select(Delivery).where(
            Delivery.ref.in_([meal_ref(day, r, t.code) for r in rounds for t in tps_list])))}
        counts_before = (result.created, result.updated)
        for tps in tps_list:
            quantity = (heads.get(tps.id, 0) or 1) + settings.extra_portions
            for meal_round in rounds:
                delivery = existing.get(meal_ref(day, meal_round, tps.code))
                courier_id = courier_of.get(tps.id)
                if delivery is None:
                    delivery = Delivery(ref=meal_ref(day, meal_round, tps.code), tps_id=tps.id, kind=DeliveryKind.MEAL,
                                        meal_round=meal_round, unit="porsi", quantity_planned=quantity,
                                        planned_at=local_at(day, settings.meal_times[meal_round], kec.zone), status=DeliveryStatus.PLANNED,
                                        courier_id=courier_id, vendor_id=vendor.id if vendor else None)
                    session.add(delivery)
                    result.created += 1
                elif delivery.status == DeliveryStatus.PLANNED and (
                        delivery.quantity_planned, delivery.courier_id, delivery.vendor_id) != (
                        quantity, courier_id, vendor.id if vendor else None):
                    delivery.quantity_planned, delivery.courier_id = quantity, courier_id
                    delivery.vendor_id = vendor.id if vendor else None
                    result.updated += 1
                else:
                    result.unchanged += 1
                if delivery.courier_id:
                    routes.add((delivery.courier_id, meal_round))
        session.flush()
        if (result.created, result.updated) != counts_before:
            session.add(AuditEntry(at=utcnow(), actor_id=actor.user_id, actor_label=actor.label,
                                   action="meal_plan.generated", entity_type="kecamatan", entity_id=kec.id, before=None,
                                   after={"day": day.isoformat(), "rounds": [r.value for r in rounds],
                                          "created": result.created - counts_before[0],
                                          "updated": result.updated - counts_before[1]}))
    for courier_id, meal_round in sorted(routes, key=lambda cr: (cr[0], cr[1].value)):
        refresh_route(session, courier_id, meal_round, day)
    commit(session)
    return result


def _assign_couriers(session: Session, vendor: Vendor | None, tps_list: list[Tps]) -> dict[int, int]:
    """{tps_id: courier person id}: the vendor's couriers each take one sector around the kitchen."""
    if vendor is None:
        return {}
    couriers = session.scalars(select(Person).where(Person.vendor_id == vendor.id, Person.role == PersonRole.COURIER,
                                                    Person.active.is_(True)).order_by(Person.code)).all()
    if not couriers:
        return {}
    kitchen = Stop("kitchen", vendor.kitchen_lat, vendor.kitchen_lon)
    groups = sweep_split(kitchen, [Stop(t.id, t.lat, t.lon) for t in tps_list], len(couriers))
    return {stop.key: courier.id for courier, group in zip(couriers, groups) for stop in group}


@in_unit_of_work
def update_meal_delivery(session: Session, actor: Actor, delivery_id: int, *, planned_at: datetime | None = None,
                         quantity: int | None = None, courier_id: int | None = None) -> Delivery:
    """A coordinator's edit of one planned meal delivery: time, portions or courier."""
    delivery = load(session, Delivery, delivery_id, "Pengiriman")
    require(may(actor, Permission.MEAL_PLAN, Target(kecamatan_id=delivery.tps.kelurahan.kecamatan_id)),
            lazy_gettext("Hanya koordinator yang dapat mengubah rencana konsumsi"))
    if delivery.kind != DeliveryKind.MEAL:
        raise ValidationFailed(lazy_gettext("Bukan pengiriman konsumsi"), {"delivery": lazy_gettext("Bukan konsumsi.")})
    if delivery.status != DeliveryStatus.PLANNED:
        raise InvalidTransition(lazy_gettext("Pengiriman sudah berjalan; rencana tidak bisa diubah"),
                                {"status": lazy_gettext("Hanya rencana yang belum berangkat yang bisa diubah.")})
    errors = {}
    if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 500):
        errors["quantity"] = lazy_gettext("Jumlah porsi 1 sampai 500.")
    courier = session.get(Person, courier_id) if courier_id is not None else None
    if courier_id is not None and (courier is None or courier.role != PersonRole.COURIER):
        errors["courier_id"] = lazy_gettext("Kurir tidak ditemukan.")
    if planned_at is not None and to_local(planned_at, delivery.tps.zone).date() != to_local(delivery.planned_at, delivery.tps.zone).date():
        errors["planned_at"] = lazy_gettext("Waktu harus pada hari yang sama.")
    if errors:
        raise ValidationFailed(lazy_gettext("Perubahan rencana tidak valid"), errors)
    before = snapshot(delivery)
    old_courier = delivery.courier_id
    if planned_at is not None:
        delivery.planned_at = planned_at
    if quantity is not None:
        delivery.quantity_planned = quantity
    if courier is not None:
        delivery.courier_id = courier.id
    day = to_local(delivery.planned_at, delivery.tps.zone).date()
    for cid in {old_courier, delivery.courier_id} - {None}:
        refresh_route(session, cid, delivery.meal_round, day)
    audit(session, actor, "delivery.plan_changed", delivery, before)
    commit(session)
    return delivery


__all__ = ["MEAL_TIMES", "PlanResult", "headcounts", "meal_ref", "plan_meals", "update_meal_delivery"]
