"""A courier's stops for one day, in the order to drive them.

Order: planned time (one round after another), then the round's tour (`route_seq`, the
nearest-neighbour tour kept current by logistics.services.routes), then TPS code for stops not
on a tour.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from logistics.models import Delivery, Kelurahan, Tps


def courier_route(session: Session, courier_id: int, day_start: datetime, day_end: datetime) -> list[Delivery]:
    query = (select(Delivery).join(Tps, Delivery.tps_id == Tps.id)
             .options(joinedload(Delivery.tps).joinedload(Tps.kelurahan).joinedload(Kelurahan.kecamatan))
             .where(Delivery.courier_id == courier_id, Delivery.planned_at >= day_start,
                    Delivery.planned_at < day_end)
             .order_by(Delivery.planned_at, Delivery.route_seq.is_(None), Delivery.route_seq, Tps.code, Delivery.id))
    return list(session.scalars(query))
