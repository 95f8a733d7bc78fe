"""Read-side lists for the field pages and a TPS's record: a TPS's deliveries and incidents, a station's open
incidents, the facilities a patient is referred to."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, case, select
from sqlalchemy.orm import Session, joinedload

from logistics.actor import Actor
from logistics.election_scope import built_once
from logistics.models import (
    Delivery, DeliveryKind, DeliveryStatus, FacilityKind, HealthFacility, HealthIncident, MedicStation, Tps,
)
from logistics.errors import not_found
from logistics.permissions import Permission, Target, may, require
from logistics.permissions.read_scope import visible
from logistics.texts import lazy_gettext
from logistics.rules.triage import URGENCY
from logistics.rules.lifecycles import incident as incident_lifecycle


# The TPS page's lists (the phone's most read page) are built once, their values bound (election_scope.built_once).
_TPS_DELIVERIES = (select(Delivery).where(Delivery.tps_id == bindparam("tps_id"))
                   .order_by(case((Delivery.kind == DeliveryKind.MEAL, 0), else_=1), Delivery.planned_at, Delivery.id))
_TPS_DELIVERIES_IN = built_once(_TPS_DELIVERIES.where(Delivery.status == bindparam("status")))
_TPS_DELIVERIES = built_once(_TPS_DELIVERIES)
_TPS_INCIDENTS = built_once(
    select(HealthIncident)
    .options(joinedload(HealthIncident.medic_station), joinedload(HealthIncident.referral_facility))
    .where(HealthIncident.tps_id == bindparam("tps_id"), HealthIncident.reported_at >= bindparam("since"))
    .order_by(HealthIncident.reported_at.desc()))


def tps_deliveries(session: Session, tps_id: int, status: DeliveryStatus | None = None) -> list[Delivery]:
    """Every delivery due at the TPS (or those in `status`): meals first, then logistics, each by planned time."""
    if status is None:
        return list(session.scalars(_TPS_DELIVERIES, {"tps_id": tps_id}))
    return list(session.scalars(_TPS_DELIVERIES_IN, {"tps_id": tps_id, "status": status}))


def tps_incidents(session: Session, tps_id: int, since: datetime) -> list[HealthIncident]:
    """A TPS's incidents reported since `since`, newest first, with the station and facility they name."""
    return list(session.scalars(_TPS_INCIDENTS, {"tps_id": tps_id, "since": since}))


def station_for_queue(session: Session, actor: Actor, station_id: int) -> MedicStation:
    """The medic station whose queue `actor` opens: NotFound when there is none; PermissionDenied unless
    STATION_VIEW holds for it (its own medics, the coordinators of its area). Every station is on the map for
    everyone (its read filter); its queue is this permission's."""
    station = session.get(MedicStation, station_id)
    if station is None:
        raise not_found("Pos kesehatan", station_id)
    require(may(actor, Permission.STATION_VIEW, Target(kecamatan_id=station.kecamatan_id, medic_station_id=station.id)),
            lazy_gettext("Antrean pos kesehatan ini bukan untuk Anda"))
    return station


def station_open_incidents(session: Session, actor: Actor, station_id: int) -> list[HealthIncident]:
    """A medic station's incidents not yet closed that `actor` may see (a kecamatan coordinator looking at a
    station that also serves another kecamatan sees only their own kecamatan's): most urgent triage first,
    then the longest waiting."""
    urgency = case(*((HealthIncident.triage == level, rank) for level, rank in URGENCY.items()), else_=99)
    query = (select(HealthIncident)
             .options(joinedload(HealthIncident.tps).joinedload(Tps.kelurahan))
             .where(HealthIncident.medic_station_id == station_id, HealthIncident.status.in_(incident_lifecycle.OPEN),
                    visible(session, actor, HealthIncident))
             .order_by(urgency, HealthIncident.reported_at, HealthIncident.id))
    return list(session.scalars(query))


def station_recently_closed(session: Session, actor: Actor, station_id: int, since: datetime) -> list[HealthIncident]:
    """A station's incidents closed since `since` (those whose closing may still be corrected) that `actor` may
    see, newest first."""
    query = (select(HealthIncident)
             .options(joinedload(HealthIncident.tps).joinedload(Tps.kelurahan))
             .where(HealthIncident.medic_station_id == station_id, HealthIncident.status.in_(tuple(incident_lifecycle.DONE)),
                    HealthIncident.closed_at >= since, visible(session, actor, HealthIncident))
             .order_by(HealthIncident.closed_at.desc(), HealthIncident.id.desc()))
    return list(session.scalars(query))


def tps_record_lists(session: Session, tps_id: int) -> tuple[list[Delivery], list[HealthIncident]]:
    """A TPS's record (coordinators): all its deliveries by planned time, all its incidents newest first."""
    deliveries = session.scalars(select(Delivery).where(Delivery.tps_id == tps_id)
                                 .order_by(Delivery.planned_at, Delivery.id)).all()
    incidents = session.scalars(select(HealthIncident).where(HealthIncident.tps_id == tps_id)
                                .order_by(HealthIncident.occurred_at.desc())).all()
    return list(deliveries), list(incidents)


def referral_facilities(session: Session) -> list[HealthFacility]:
    """Where a patient can be referred: hospitals first, then puskesmas, each by name."""
    facilities = session.scalars(select(HealthFacility).order_by(HealthFacility.name)).all()
    return sorted(facilities, key=lambda f: f.kind != FacilityKind.HOSPITAL)
