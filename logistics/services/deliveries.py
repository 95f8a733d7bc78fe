"""Delivery steps: dispatched, delivered (with the quantity received), failed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import ValidationFailed
from logistics.models import Delivery, DeliveryKind, DeliveryStatus
from logistics.permissions import may_move_delivery, require
from logistics.rules.transitions import delivery_may_move
from logistics.services.common import audit, commit, load, require_transition, snapshot, step_time
from logistics.services.routes import refresh_route
from logistics.timeutil import to_wib

S = DeliveryStatus


def advance_delivery(
    session: Session, actor: Actor, delivery_id: int, to_status: DeliveryStatus, *,
    at: datetime | None = None, quantity_received: int | None = None, received_by: str | None = None,
    reason: str | None = None, quantity_damaged: int | None = None,
) -> Delivery:
    """Move a delivery one step. A receipt records the quantity received (default: as planned),
    who received it, and for logistics items how many arrived damaged (the SILOG checklist)."""
    delivery = load(session, Delivery, delivery_id, "Pengiriman", for_step=True)
    tps = delivery.tps
    require(
        may_move_delivery(actor, tps.id, tps.kelurahan.kecamatan_id, delivery.courier_id),
        "Anda tidak berwenang atas pengiriman ini / not your delivery",
    )
    to_status = S(to_status)
    require_transition(delivery_may_move(delivery.status, to_status), "Pengiriman", delivery.status, to_status)
    when = step_time(at)
    before = snapshot(delivery)
    if to_status == S.DISPATCHED:
        delivery.dispatched_at = when
    elif to_status == S.DELIVERED:
        received, received_by = _receipt(delivery, quantity_received, received_by)
        damaged = _damaged(delivery, quantity_damaged, received)  # check all before changing any
        delivery.quantity_received, delivery.received_by, delivery.quantity_damaged = received, received_by, damaged
        delivery.delivered_at = when
    elif to_status == S.FAILED:
        delivery.failed_at = when
        delivery.failure_reason = (reason or "").strip() or None
    delivery.status = to_status
    if delivery.kind == DeliveryKind.MEAL and delivery.courier_id is not None:
        # Where the courier is now changes when the remaining stops will be reached.
        refresh_route(session, delivery.courier_id, delivery.meal_round, to_wib(delivery.planned_at).date())
    audit(session, actor, f"delivery.{to_status.value}", delivery, before)
    commit(session)
    return delivery


def _damaged(delivery: Delivery, damaged: int | None, received: int) -> int | None:
    if damaged is None:
        return None
    if delivery.kind != DeliveryKind.LOGISTICS:
        raise ValidationFailed("Hanya logistik yang dicatat rusak / only logistics items",
                               {"quantity_damaged": "Hanya untuk logistik pemilu."})
    if isinstance(damaged, bool) or not isinstance(damaged, int) or not 0 <= damaged <= received:
        raise ValidationFailed("Jumlah rusak tidak valid / invalid damaged count",
                               {"quantity_damaged": "Jumlah rusak 0 sampai jumlah diterima."})
    return damaged


def _receipt(delivery: Delivery, quantity: int | None, received_by: str | None) -> tuple[int, str | None]:
    errors = {}
    if quantity is None:
        quantity = delivery.quantity_planned
    elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        errors["quantity_received"] = "Jumlah harus bilangan bulat 0 atau lebih."
    elif quantity > delivery.quantity_planned * 10:
        errors["quantity_received"] = "Jumlah jauh melebihi rencana; periksa kembali."
    name = (received_by or "").strip() or None
    if name and len(name) > 160:
        errors["received_by"] = "Nama penerima paling banyak 160 huruf."
    if errors:
        raise ValidationFailed("Data penerimaan tidak valid / invalid receipt", errors)
    return quantity, name
