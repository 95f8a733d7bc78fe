"""A drill's changes to records (logistics/drill/runner.py plays it): claiming a day's TPS and meals, recording
the drill's plan and progress, and wiping it. The events themselves go through the services a phone calls.

Claiming and wiping touch every TPS and meal of a day, so they are set-based writes (one UPDATE each), not
per-row service calls; they bump the data versions themselves (no flush hook sees a bulk write). Each runs in its caller's
unit of work or one of its own (`in_unit_of_work`).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.models import AuditEntry, Delivery, DeliveryKind, DrillClock, HealthIncident, Tps
from logistics.rules.lifecycles import tps_day
from logistics.rules.lifecycles.delivery import DELIVERY
from logistics.services.common import commit
from logistics.services.data_versions import touch
from logistics.services.routes import refresh_route
from logistics.services.tombstones import bury
from logistics.services.unit_of_work import in_unit_of_work
from logistics.queries.zones import deployment_zone
from logistics.timeutil import to_local, utcnow


@in_unit_of_work
def claim_drill_day(session: Session, tps_ids: Iterable[int], meal_ids: Iterable[int]) -> None:
    """Mark the TPS and meal deliveries a drill may touch as the drill's. Commits."""
    session.execute(update(Tps).where(Tps.id.in_(list(tps_ids))).values(drill=True))
    session.execute(update(Delivery).where(Delivery.id.in_(list(meal_ids))).values(drill=True))
    touch(session, "tps", "delivery")  # bulk writes: no flush hook saw which rows
    commit(session)


@in_unit_of_work
def record_drill(session: Session, day: date, started_at: datetime, *, speed: float, seed: int,
                 stop_at: datetime | None) -> DrillClock:
    """The drill's plan, which the worker plays (`drill_clock`). Commits."""
    drill = DrillClock(day=day, started_at=started_at, speed=speed, seed=seed, played=0, stop_at=stop_at)
    session.add(drill)
    commit(session)
    return drill


def record_progress(session: Session, drill_id: int, played: int) -> None:
    """How many events the drill has played: written in the event's own transaction (not committed here)."""
    session.execute(update(DrillClock).where(DrillClock.id == drill_id).values(played=played))


@in_unit_of_work
def finish_drill(session: Session, drill_id: int, at: datetime) -> None:
    """The drill played its last event (or its time ran out). Commits."""
    session.execute(update(DrillClock).where(DrillClock.id == drill_id).values(finished_at=at))
    commit(session)


@in_unit_of_work
def wipe_drill(session: Session, actor: Actor) -> dict[str, int]:
    """Put the drill's TPS and deliveries back to the start of their lifecycles (every column their steps set
    cleared, logistics.rules.lifecycles) and delete its incidents; the audit entries stay (append-only) and
    one `drill.wiped` entry records the counts. Commits."""
    tps_count = session.execute(update(Tps).where(Tps.drill.is_(True)).values(
        status=tps_day.TPS_DAY.start, drill=False, **{c: None for c in tps_day.DAY_COLUMNS})).rowcount
    routes = session.execute(select(Delivery.courier_id, Delivery.meal_round, Delivery.planned_at).where(
        Delivery.drill.is_(True), Delivery.kind == DeliveryKind.MEAL, Delivery.courier_id.is_not(None))).all()
    delivery_count = session.execute(update(Delivery).where(Delivery.drill.is_(True)).values(
        status=DELIVERY.start, drill=False, **{c: None for c in DELIVERY.columns})).rowcount
    # A partner that synced the drill's incidents learns they are gone (api: the sync lists' `deleted`).
    bury(session, "health_incident", select(HealthIncident.id).where(HealthIncident.drill.is_(True)), "drill.wiped")
    incident_count = session.execute(delete(HealthIncident).where(HealthIncident.drill.is_(True))).rowcount
    session.execute(delete(DrillClock))
    touch(session, "tps", "delivery", "health_incident")  # bulk writes: no flush hook saw which rows
    session.expire_all()
    zone = deployment_zone(session)
    for courier_id, meal_round, day in {(c, r, to_local(p, zone).date()) for c, r, p in routes}:
        refresh_route(session, courier_id, meal_round, day)
    counts = {"tps": tps_count, "delivery": delivery_count, "health_incident": incident_count}
    session.add(AuditEntry(at=utcnow(), actor_id=actor.user_id, actor_label=actor.label, action="drill.wiped",
                           entity_type="drill", entity_id=0, before=None, after=counts))
    commit(session)
    return counts
