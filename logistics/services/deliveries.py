"""Delivery steps: dispatched and arrived (the courier's), delivered with the quantity received and
failed (the TPS's receipt); and corrections of a mistaken receipt."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import ValidationFailed
from logistics.events import Event, EventKind, raise_event
from logistics.models import Delivery, DeliveryKind, DeliveryStatus
from logistics.models.base import max_length
from logistics.permissions import Permission, Target, delivery_step_permission, may, require
from logistics.rules.lifecycles import delivery as lifecycle
from logistics.services.common import (
    audit, commit, correction_reason, load, require_transition, snapshot, step_time,
)
from logistics.services.routes import refresh_route
from logistics.timeutil import to_local
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work

S = DeliveryStatus


@in_unit_of_work
def advance_delivery(
    session: Session, actor: Actor, delivery_id: int, to_status: DeliveryStatus, *,
    at: datetime | None = None, quantity_received: int | None = None, received_by: str | None = None,
    reason: str | None = None, quantity_damaged: int | None = None, short: bool = False,
) -> Delivery:
    """Move a delivery one step. A receipt records the quantity received (default: as planned),
    who received it, and for logistics items how many arrived damaged (the SILOG checklist). `short`:
    the receipt was posted as short ("Kurang"), so its quantity must be below the plan."""
    delivery = load(session, Delivery, delivery_id, "Pengiriman", for_step=True)
    to_status = S(to_status)
    require(
        may(actor, delivery_step_permission(to_status), Target.of_delivery(delivery)),
        lazy_gettext("Penerimaan dikonfirmasi oleh TPS") if to_status in lifecycle.RECEIPT_STEPS
        else lazy_gettext("Anda tidak berwenang atas pengiriman ini"),
    )
    require_transition(lifecycle.may_move(delivery.status, to_status), "Pengiriman", delivery.status, to_status)
    when = step_time(at, session=session)
    before = snapshot(delivery)
    if to_status == S.DELIVERED:
        received, received_by = _receipt(delivery, quantity_received, received_by, short)
        damaged = _damaged(delivery, quantity_damaged, received)  # check all before changing any
        delivery.quantity_received, delivery.received_by, delivery.quantity_damaged = received, received_by, damaged
    elif to_status == S.FAILED:
        delivery.failure_reason = (reason or "").strip() or None
    setattr(delivery, lifecycle.DELIVERY.step_time(to_status), when)
    delivery.status = to_status
    _refresh_route(session, delivery)
    audit(session, actor, f"delivery.{to_status.value}", delivery, before)
    raise_event(session, delivery_event(_STEP_EVENT[to_status](delivery), delivery, actor))
    commit(session)
    return delivery


def _received_event(delivery: Delivery) -> EventKind:
    short = lifecycle.shortfall(delivery.status, delivery.quantity_planned, delivery.quantity_received)
    return EventKind.DELIVERY_SHORT if short else EventKind.DELIVERY_RECEIVED


# The event each step raises (a receipt's depends on the quantity received).
_STEP_EVENT = {
    S.DISPATCHED: lambda d: EventKind.DELIVERY_DISPATCHED,
    S.ARRIVED: lambda d: EventKind.DELIVERY_ARRIVED,
    S.DELIVERED: _received_event,
    S.FAILED: lambda d: EventKind.DELIVERY_NOT_COMING,
}


def delivery_event(kind: EventKind, delivery: Delivery, actor: Actor | None = None) -> Event:
    """The event of a change to a delivery: ids and codes only; who made it (`by_user`, `by_person`), so
    nobody is sent a notice of their own step (siaga/worker/sms.py: a ketua's own "not coming")."""
    tps = delivery.tps
    return Event(kind, "delivery", delivery.id, tps.kelurahan.kecamatan_id, {
        "tps_id": tps.id, "courier_id": delivery.courier_id, "status": delivery.status.value,
        "kind": delivery.kind.value, "meal_round": delivery.meal_round.value if delivery.meal_round else None,
        "item": delivery.item, "drill": delivery.drill,
        "by_user": actor.user_id if actor else None, "by_person": actor.person_id if actor else None})


def _refresh_route(session: Session, delivery: Delivery) -> None:
    if delivery.kind == DeliveryKind.MEAL and delivery.courier_id is not None:
        # Where the courier is now changes when the remaining stops will be reached.
        refresh_route(session, delivery.courier_id, delivery.meal_round, to_local(delivery.planned_at, delivery.tps.zone).date())


@in_unit_of_work
def correct_delivery(session: Session, actor: Actor, delivery_id: int, to_status: DeliveryStatus | str,
                     reason: str) -> Delivery:
    """Fix a mistaken receipt or "did not come" (or a courier's step): move the delivery back to
    planned, dispatched or arrived, clearing the later steps' fields. The TPS side and coordinators
    only (a correction is a receipt matter); a reason is required; audited as `delivery.corrected`
    with before/after and the reason, as `tps.corrected` is."""
    delivery = load(session, Delivery, delivery_id, "Pengiriman", for_step=True)
    require(may(actor, Permission.DELIVERY_RECEIVE, Target.of_delivery(delivery)),
            lazy_gettext("Koreksi penerimaan oleh TPS atau koordinator"))
    errors: dict[str, str] = {}
    reason = correction_reason(reason, errors)
    try:
        target = S(to_status)
    except ValueError:
        target = None
        errors["to_status"] = lazy_gettext("Pilih salah satu status.")
    if target is not None and not lifecycle.may_correct(delivery.status, target):
        errors["to_status"] = lazy_gettext("Dari {status} koreksi hanya bisa mundur (direncanakan, dalam perjalanan, "
                                            "sampai).", status=delivery.status.label)
    if errors:
        raise ValidationFailed(lazy_gettext("Koreksi tidak valid"), errors)
    before = snapshot(delivery)
    receipt_time = delivery.delivered_at or delivery.failed_at
    # Going back clears the columns of every step after the target (a step's columns exist from it on).
    for state in lifecycle.DELIVERY.after(target):
        for column in lifecycle.DELIVERY.step_columns[state]:
            setattr(delivery, column, None)
    if target == S.ARRIVED and delivery.arrived_at is None:
        delivery.arrived_at = receipt_time or step_time(None, session=session)  # it was there when the receipt was posted
    delivery.status = target
    _refresh_route(session, delivery)
    audit(session, actor, "delivery.corrected", delivery, before, extra={"correction_reason": reason})
    if delivery.courier_id is not None:
        raise_event(session, delivery_event(EventKind.ROUTE_CHANGED, delivery))
    commit(session)
    return delivery


def _damaged(delivery: Delivery, damaged: int | None, received: int) -> int | None:
    if damaged is None:
        return None
    if delivery.kind != DeliveryKind.LOGISTICS:
        raise ValidationFailed(lazy_gettext("Hanya logistik yang dicatat rusak"),
                               {"quantity_damaged": lazy_gettext("Hanya untuk logistik pemilu.")})
    if isinstance(damaged, bool) or not isinstance(damaged, int) or not 0 <= damaged <= received:
        raise ValidationFailed(lazy_gettext("Jumlah rusak tidak valid"),
                               {"quantity_damaged": lazy_gettext("Jumlah rusak 0 sampai jumlah diterima.")})
    return damaged


def _receipt(delivery: Delivery, quantity: int | None, received_by: str | None,
             short: bool) -> tuple[int, str | None]:
    if short and (problem := lifecycle.short_receipt_error(quantity, delivery.quantity_planned)):
        raise ValidationFailed(problem, {"quantity_received": problem})
    errors = {}
    if quantity is None:
        quantity = delivery.quantity_planned
    elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        errors["quantity_received"] = lazy_gettext("Jumlah harus bilangan bulat 0 atau lebih.")
    elif quantity > delivery.quantity_planned * 10:
        errors["quantity_received"] = lazy_gettext("Jumlah jauh melebihi rencana; periksa kembali.")
    name = (received_by or "").strip() or None
    if name and len(name) > (limit := max_length(Delivery.received_by)):
        errors["received_by"] = lazy_gettext("Nama penerima paling banyak {n} huruf.", n=limit)
    if errors:
        raise ValidationFailed(lazy_gettext("Data penerimaan tidak valid"), errors)
    return quantity, name
