"""Who may change what: one vocabulary of named permissions and one function, `may`.

Every write in the system asks `may(actor, Permission.X, target)`: services before they change a
record (`require`, raising PermissionDenied with the service's own message), importers, and the web
views that hide a button or answer 403 before calling a service. `target` is a `Target` of the
record's plain scope values (its kecamatan, TPS, courier, medic station), so this module needs no
database and no Flask. Who may *see* what is the read side, `logistics.permissions.read_scope`.

| Permission        | admin | city coord. | kecamatan coord. | field officer | courier          | medic              | partner (agency / user)        |
|-------------------|-------|-------------|------------------|---------------|------------------|--------------------|--------------------------------|
| TPS_POST_STATUS   | yes   | yes         | its kecamatan    | own TPS       | no               | no                 | no                             |
| DELIVERY_MOVE     | yes   | yes         | its kecamatan    | own TPS       | assigned to them | no                 | no                             |
| DELIVERY_RECEIVE  | yes   | yes         | its kecamatan    | own TPS       | no               | no                 | no                             |
| INCIDENT_REPORT   | yes   | yes         | its kecamatan*   | own TPS       | yes              | yes                | write:incidents scope          |
| INCIDENT_CARE     | yes   | yes         | its kecamatan    | no            | no               | own station's      | Dinkes with write:incidents    |
| INCIDENT_ASSIGN   | yes   | yes         | its kecamatan**  | no            | no               | no                 | no                             |
| MEAL_PLAN         | yes   | yes         | its kecamatan    | no            | no               | no                 | no                             |
| ROSTER_EDIT       | yes   | yes         | its kecamatan    | no            | no               | no                 | no                             |
| OFFICER_SCREEN    | yes   | yes         | its kecamatan    | no            | no               | TPS their station covers | no                       |
| IMPORT_TPS        | yes   | yes         | yes              | no            | no               | no                 | no                             |
| IMPORT_OFFICERS   | yes   | yes         | yes              | no            | no               | no                 | no                             |
| AREA_SETUP        | yes   | no          | no               | no            | no               | no                 | no                             |
| TOKEN_ADMIN       | yes   | no          | no               | no            | no               | no                 | no                             |
| ACCOUNT_PROVISION | yes   | no          | field staff of its kecamatan | no | no            | no                 | no                             |
| ACCOUNT_RESET     | yes   | no          | field staff of its kecamatan | no | no            | no                 | no                             |
| ACCOUNT_REVOKE    | yes   | no          | field staff of its kecamatan | no | no            | no                 | no                             |
| ACCOUNT_ADMIN     | yes   | no          | no               | no            | no               | no                 | no                             |

Accounts: "field staff" are the logins of TPS officers, couriers and medics (`FIELD_ROLES`); the target
of an account permission is the account's kecamatan and role (`Target.account_role`). Provisioning
coordinators, creating arbitrary accounts and changing a role or scope is ACCOUNT_ADMIN.

\\* a kecamatan coordinator may report at a position (no TPS) anywhere: what they see on the road.
\\*\\* both the incident's kecamatan and the receiving station's.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from logistics.actor import Actor
from logistics.errors import PermissionDenied
from logistics.models.enums import Role

# Partner agencies whose write:incidents token may also record care steps (the health office).
HEALTH_AGENCIES = frozenset({"Dinkes"})
WRITE_INCIDENTS = "write:incidents"


class Permission(enum.Enum):
    TPS_POST_STATUS = "tps.post_status"  # status steps, officers present, corrections
    DELIVERY_MOVE = "delivery.move"  # the courier's steps: dispatched, arrived ("sampai")
    DELIVERY_RECEIVE = "delivery.receive"  # the TPS's receipt: delivered (quantity, receiver), failed; corrections
    INCIDENT_REPORT = "incident.report"
    INCIDENT_CARE = "incident.care"  # care steps; also a station's queue
    INCIDENT_ASSIGN = "incident.assign"  # hand an incident to another station
    MEAL_PLAN = "meal.plan"  # make the meal plan, edit a planned meal delivery
    ROSTER_EDIT = "roster.edit"
    OFFICER_SCREEN = "officer.screen"  # screening and check-ins of an officer
    IMPORT_TPS = "import.tps"
    IMPORT_OFFICERS = "import.officers"
    AREA_SETUP = "area.setup"  # boundaries, stations, facilities, vendors, staff lists, election settings
    TOKEN_ADMIN = "token.admin"
    ACCOUNT_PROVISION = "account.provision"  # make field staff logins (with their one-time PIN cards)
    ACCOUNT_RESET = "account.reset"  # a new one-time PIN (a new card): the old PIN and every session end
    ACCOUNT_REVOKE = "account.revoke"  # switch a login off (or on again): its sessions and tokens stop
    ACCOUNT_ADMIN = "account.admin"  # any account: create, change role and scope


@dataclass(frozen=True)
class Target:
    """The plain scope values of the record acted on (what `may` needs to know about it)."""

    kecamatan_id: int | None = None
    tps_id: int | None = None
    courier_id: int | None = None  # a delivery's courier (Person id)
    medic_station_id: int | None = None  # an incident's station, a station, or the station covering an officer
    account_role: Role | None = None  # the role of the account acted on (account permissions)


# The logins of people in the field, which a kecamatan coordinator manages for their kecamatan.
FIELD_ROLES = frozenset({Role.FIELD_OFFICER, Role.COURIER, Role.MEDIC})


def _coordinates(actor: Actor, kecamatan_id: int | None) -> bool:
    """Admins; city coordinators; a kecamatan coordinator for a record of their kecamatan."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.COORDINATOR:
        return False
    return actor.kecamatan_id is None or (kecamatan_id is not None and actor.kecamatan_id == kecamatan_id)


def _own_tps(actor: Actor, t: Target) -> bool:
    return actor.role == Role.FIELD_OFFICER and t.tps_id is not None and actor.tps_id == t.tps_id


def _tps_post(actor: Actor, t: Target) -> bool:
    return _coordinates(actor, t.kecamatan_id) or _own_tps(actor, t)


def _delivery_move(actor: Actor, t: Target) -> bool:
    if actor.role == Role.COURIER:
        return actor.person_id is not None and actor.person_id == t.courier_id
    return _tps_post(actor, t)


def _incident_report(actor: Actor, t: Target) -> bool:
    if actor.role == Role.PARTNER:
        return WRITE_INCIDENTS in actor.scopes
    if actor.role == Role.FIELD_OFFICER:
        return _own_tps(actor, t)
    if actor.role == Role.COORDINATOR and t.kecamatan_id is not None:
        return _coordinates(actor, t.kecamatan_id)
    return True


def _incident_care(actor: Actor, t: Target) -> bool:
    if actor.role == Role.MEDIC:
        return t.medic_station_id is not None and actor.medic_station_id == t.medic_station_id
    if actor.role == Role.PARTNER:
        return actor.agency in HEALTH_AGENCIES and WRITE_INCIDENTS in actor.scopes
    return _coordinates(actor, t.kecamatan_id)


def _officer_screen(actor: Actor, t: Target) -> bool:
    if actor.role == Role.MEDIC:
        return t.medic_station_id is not None and actor.medic_station_id == t.medic_station_id
    return _coordinates(actor, t.kecamatan_id)


def _coordinators_only(actor: Actor, t: Target) -> bool:
    return _coordinates(actor, t.kecamatan_id)


def _any_coordinator(actor: Actor, t: Target) -> bool:
    return actor.role in (Role.ADMIN, Role.COORDINATOR)


def _admin(actor: Actor, t: Target) -> bool:
    return actor.role == Role.ADMIN


def _field_accounts(actor: Actor, t: Target) -> bool:
    """Admins; a kecamatan coordinator for the field staff logins of their kecamatan."""
    if actor.role == Role.ADMIN:
        return True
    return (actor.role == Role.COORDINATOR and actor.kecamatan_id is not None
            and t.account_role in FIELD_ROLES and t.kecamatan_id == actor.kecamatan_id)


RULES = {
    Permission.TPS_POST_STATUS: _tps_post,
    Permission.DELIVERY_MOVE: _delivery_move,
    Permission.DELIVERY_RECEIVE: _tps_post,
    Permission.INCIDENT_REPORT: _incident_report,
    Permission.INCIDENT_CARE: _incident_care,
    Permission.INCIDENT_ASSIGN: _coordinators_only,
    Permission.MEAL_PLAN: _coordinators_only,
    Permission.ROSTER_EDIT: _coordinators_only,
    Permission.OFFICER_SCREEN: _officer_screen,
    Permission.IMPORT_TPS: _any_coordinator,
    Permission.IMPORT_OFFICERS: _any_coordinator,
    Permission.AREA_SETUP: _admin,
    Permission.TOKEN_ADMIN: _admin,
    Permission.ACCOUNT_PROVISION: _field_accounts,
    Permission.ACCOUNT_RESET: _field_accounts,
    Permission.ACCOUNT_REVOKE: _field_accounts,
    Permission.ACCOUNT_ADMIN: _admin,
}


def may(actor: Actor, permission: Permission, target: Target = Target()) -> bool:
    """May `actor` do `permission` on the record described by `target`?"""
    return RULES[permission](actor, target)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# The names the services and views used before the vocabulary: thin spellings of `may`.

def may_post_for_tps(actor: Actor, tps_id: int, kecamatan_id: int) -> bool:
    return may(actor, Permission.TPS_POST_STATUS, Target(kecamatan_id=kecamatan_id, tps_id=tps_id))


def may_move_delivery(actor: Actor, tps_id: int, kecamatan_id: int, courier_id: int | None) -> bool:
    """Any step of this delivery's (the courier's or the TPS's): who sees its buttons."""
    target = Target(kecamatan_id=kecamatan_id, tps_id=tps_id, courier_id=courier_id)
    return may(actor, Permission.DELIVERY_MOVE, target) or may(actor, Permission.DELIVERY_RECEIVE, target)


def delivery_step_permission(to_status) -> Permission:
    """The receipt (delivered, failed) is the TPS side's; the courier marks dispatched and arrived."""
    from logistics.rules.lifecycles.delivery import RECEIPT_STEPS

    return Permission.DELIVERY_RECEIVE if to_status in RECEIPT_STEPS else Permission.DELIVERY_MOVE


def may_step_delivery(actor: Actor, to_status, tps_id: int, kecamatan_id: int, courier_id: int | None) -> bool:
    return may(actor, delivery_step_permission(to_status),
               Target(kecamatan_id=kecamatan_id, tps_id=tps_id, courier_id=courier_id))


def may_handle_incident(actor: Actor, station_id: int | None, kecamatan_id: int | None) -> bool:
    return may(actor, Permission.INCIDENT_CARE, Target(kecamatan_id=kecamatan_id, medic_station_id=station_id))


def may_report_incident(actor: Actor, tps_id: int | None, kecamatan_id: int | None) -> bool:
    return may(actor, Permission.INCIDENT_REPORT, Target(kecamatan_id=kecamatan_id, tps_id=tps_id))
