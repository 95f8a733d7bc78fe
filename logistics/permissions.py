"""Who may change what: pure checks over an Actor and the record's plain scope values."""
from __future__ import annotations

from logistics.actor import Actor
from logistics.errors import PermissionDenied
from logistics.models.enums import Role

# Partner agencies whose write:incidents token may also record care steps (the health office).
HEALTH_AGENCIES = frozenset({"Dinkes"})
WRITE_INCIDENTS = "write:incidents"


def _coordinates(actor: Actor, kecamatan_id: int) -> bool:
    return actor.role == Role.ADMIN or (
        actor.role == Role.COORDINATOR and actor.kecamatan_id in (None, kecamatan_id)
    )


def may_post_for_tps(actor: Actor, tps_id: int, kecamatan_id: int) -> bool:
    """TPS status, receipts and incidents at a TPS: its own officer, or its coordinators."""
    return _coordinates(actor, kecamatan_id) or (actor.role == Role.FIELD_OFFICER and actor.tps_id == tps_id)


def may_move_delivery(actor: Actor, tps_id: int, kecamatan_id: int, courier_id: int | None) -> bool:
    """A delivery: the receiving TPS, its coordinators, or the courier it is assigned to."""
    if actor.role == Role.COURIER:
        return actor.person_id is not None and actor.person_id == courier_id
    return may_post_for_tps(actor, tps_id, kecamatan_id)


def may_handle_incident(actor: Actor, station_id: int | None, kecamatan_id: int | None) -> bool:
    """An incident's care steps: the medics of its station, or coordinators of its kecamatan."""
    if actor.role == Role.MEDIC:
        return station_id is not None and actor.medic_station_id == station_id
    if actor.role == Role.PARTNER:
        return actor.agency in HEALTH_AGENCIES and WRITE_INCIDENTS in actor.scopes
    if kecamatan_id is None:
        return actor.role == Role.ADMIN or (actor.role == Role.COORDINATOR and actor.kecamatan_id is None)
    return _coordinates(actor, kecamatan_id)


def may_report_incident(actor: Actor, tps_id: int | None, kecamatan_id: int | None) -> bool:
    """Anyone on duty may report what they see; a field officer only at their own TPS; a partner
    agency only through an API token with the write:incidents scope."""
    if actor.role == Role.PARTNER:
        return WRITE_INCIDENTS in actor.scopes
    if actor.role == Role.FIELD_OFFICER:
        return tps_id is not None and actor.tps_id == tps_id
    if actor.role == Role.COORDINATOR and kecamatan_id is not None:
        return actor.kecamatan_id in (None, kecamatan_id)
    return True


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def may_view_incident(actor: Actor, station_id: int | None, kecamatan_id: int | None, tps_id: int | None) -> bool:
    """An incident's page: whoever may handle it, and the officer of the TPS it was reported at."""
    if actor.role == Role.FIELD_OFFICER:
        return tps_id is not None and actor.tps_id == tps_id
    return may_handle_incident(actor, station_id, kecamatan_id)
