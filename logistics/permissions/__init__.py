"""Who may change what: one vocabulary of named permissions and one function, `may`.

Every write in the system asks `may(actor, Permission.X, target)`, once: the service before it changes
a record (`require`, raising PermissionDenied with the service's own message) and importers; a view
asks only to hide a button. A web page declares its permission (`@requires(Permission.X)`,
siaga.auth), which checks `holds` — may this role open these pages at all (`HOLDERS`) — and leaves the
record to the service (writes) or to the read filters (pages). `target` is a `Target` of the
record's plain scope values (its kecamatan, TPS, courier, medic station), so this module needs no
database and no Flask. Who may *see* what is the read side, `logistics.permissions.read_scope`.

| Permission        | admin | coord. of the nation | coord. of an area | field officer | courier          | medic              | partner (agency / user)        |
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
| IMPORT_TPS        | yes   | yes         | its area's rows | no            | no               | no                 | no                             |
| IMPORT_OFFICERS   | yes   | yes         | its area's rows | no            | no               | no                 | no                             |
| AREA_SETUP        | yes†  | no          | no               | no            | no               | no                 | no                             |
| TOKEN_ADMIN       | yes†  | no          | no               | no            | no               | no                 | no                             |
| ACCOUNT_PROVISION | yes‡  | no          | field staff of its area | no | no            | no                 | no                             |
| ACCOUNT_RESET     | yes‡  | no          | field staff of its area | no | no            | no                 | no                             |
| ACCOUNT_REVOKE    | yes‡  | no          | field staff of its area | no | no            | no                 | no                             |
| ACCOUNT_ADMIN     | yes‡  | no          | no               | no            | no               | no                 | no                             |
| STATION_VIEW      | yes   | yes         | its kecamatan    | no            | no               | own station        | no                             |

Read permissions (FIGURES_VIEW, ACCOUNTS_VIEW, TPS_VIEW, INCIDENT_VIEW, OWN_STATION_VIEW, ROUTE_VIEW,
OFFLINE_PAGES, PUSH_SUBSCRIBE, SMS_LOG_VIEW) open pages; which rows a page shows is the read filter of
its model (`read_scope.visible`). `HOLDERS` names the roles that may open each permission's pages.

Accounts: "field staff" are the logins of TPS officers, couriers and medics (`FIELD_ROLES`); the target
of an account permission is the account's kecamatan and role (`Target.account_role`). Provisioning
coordinators, creating arbitrary accounts and changing a role or scope is ACCOUNT_ADMIN.

An *area* is a province, a kab/kota or a kecamatan (`Actor.scope_kecamatan`: the kecamatan within it);
"its kecamatan" above reads "its area" for coordinators and admins of any level, and an admin of an area
is an admin for the records and accounts within it only. † admins of the whole deployment only.
‡ an admin of an area: the accounts within it (`Target.account_area_code` within `Actor.area_code`).

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
    # Read permissions: pages that show records (which rows: the read filters, `read_scope`).
    FIGURES_VIEW = "figures.view"  # dashboard, map, exports, planning pages, a TPS's record, login readiness
    ACCOUNTS_VIEW = "accounts.view"  # the accounts list (rows: read_scope.visible(..., User))
    TPS_VIEW = "tps.view"  # a TPS's field pages
    INCIDENT_VIEW = "incident.view"  # an incident's page
    STATION_VIEW = "station.view"  # a medic station's queue: its own medics and the coordinators of its area
    OWN_STATION_VIEW = "station.own"  # a medic's landing: their station, the officers it looks after
    ROUTE_VIEW = "route.view"  # a courier's route
    OFFLINE_PAGES = "offline.pages"  # the list of pages a field login copies for offline use
    PUSH_SUBSCRIBE = "push.subscribe"  # Web Push on this browser
    SMS_LOG_VIEW = "sms.log"  # the operator's SMS log


@dataclass(frozen=True)
class Target:
    """The plain scope values of the record acted on (what `may` needs to know about it)."""

    kecamatan_id: int | None = None
    tps_id: int | None = None
    courier_id: int | None = None  # a delivery's courier (Person id)
    medic_station_id: int | None = None  # an incident's station, a station, or the station covering an officer
    account_role: Role | None = None  # the role of the account acted on (account permissions)
    # The Kemendagri code of the account's area (a kecamatan's, a kab/kota's, a province's two digits);
    # None for an account of the whole nation or without an area (account permissions).
    account_area_code: str | None = None

    @classmethod
    def of_tps(cls, tps) -> "Target":
        return cls(kecamatan_id=tps.kelurahan.kecamatan_id, tps_id=tps.id)

    @classmethod
    def of_delivery(cls, delivery) -> "Target":
        return cls(kecamatan_id=delivery.tps.kelurahan.kecamatan_id, tps_id=delivery.tps_id,
                   courier_id=delivery.courier_id)


# The logins of people in the field, which a kecamatan coordinator manages for their kecamatan.
FIELD_ROLES = frozenset({Role.FIELD_OFFICER, Role.COURIER, Role.MEDIC})


def within_area(code: str | None, area_code: str) -> bool:
    """Is the area with Kemendagri `code` the area `area_code` or inside it? Codes nest: `19.71.01` is
    within `19.71`, which is within `19`."""
    return code is not None and (code == area_code or code.startswith(area_code + "."))


def _in_area(actor: Actor, kecamatan_id: int | None) -> bool:
    """A record of this kecamatan is within the actor's area (the nation's: every record)."""
    scope = actor.scope_kecamatan()
    return scope is None or (kecamatan_id is not None and kecamatan_id in scope)


def _coordinates(actor: Actor, kecamatan_id: int | None) -> bool:
    """Admins and coordinators of the nation; of an area (a province, kab/kota or kecamatan) for a record
    of a kecamatan within it."""
    return actor.role in (Role.ADMIN, Role.COORDINATOR) and _in_area(actor, kecamatan_id)


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
    if actor.role in (Role.ADMIN, Role.COORDINATOR) and t.kecamatan_id is not None:
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


def _coordinator_of_rows(actor: Actor, t: Target) -> bool:
    """Admins and coordinators import; each row only within their area (a file's rows name their kecamatan)."""
    return _any_coordinator(actor, t) and (t.kecamatan_id is None or _in_area(actor, t.kecamatan_id))


def _admin(actor: Actor, t: Target) -> bool:
    """The admins of the whole deployment (an area's admin manages accounts within it, nothing more)."""
    return actor.role == Role.ADMIN and actor.nation_wide


def _account_admin(actor: Actor, t: Target) -> bool:
    """Admins of the nation: any account; an admin of an area: the accounts within it (their kecamatan
    in it, or their own area within it: `within_area` on Kemendagri codes)."""
    if actor.role != Role.ADMIN:
        return False
    if actor.nation_wide:
        return True
    if t.kecamatan_id is not None and _in_area(actor, t.kecamatan_id):
        return True
    return actor.area_code is not None and within_area(t.account_area_code, actor.area_code)


def _field_accounts(actor: Actor, t: Target) -> bool:
    """Admins (of the account's area); a coordinator of an area for the field staff logins within it."""
    if actor.role == Role.ADMIN:
        return _account_admin(actor, t)
    return (actor.role == Role.COORDINATOR and not actor.nation_wide
            and t.account_role in FIELD_ROLES and _in_area(actor, t.kecamatan_id))


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
    Permission.IMPORT_TPS: _coordinator_of_rows,
    Permission.IMPORT_OFFICERS: _coordinator_of_rows,
    Permission.AREA_SETUP: _admin,
    Permission.TOKEN_ADMIN: _admin,
    Permission.ACCOUNT_PROVISION: _field_accounts,
    Permission.ACCOUNT_RESET: _field_accounts,
    Permission.ACCOUNT_REVOKE: _field_accounts,
    Permission.ACCOUNT_ADMIN: _account_admin,
    Permission.STATION_VIEW: _officer_screen,  # the station's own medics; coordinators of its area
}

_O, _CO, _K, _M = Role.FIELD_OFFICER, Role.COORDINATOR, Role.COURIER, Role.MEDIC
# Who may open a permission's web pages at all (admins: every page). The page's view declares the
# permission (`@requires`, siaga.auth); the record it acts on is then checked by the service (writes,
# `may` with its Target) or read through the read filters (pages). The API does not use this table: its
# callers' scopes and the same `may` decide.
HOLDERS: dict[Permission, frozenset[Role]] = {
    Permission.TPS_POST_STATUS: frozenset({_O, _CO}),
    Permission.DELIVERY_MOVE: frozenset({_O, _CO, _K}),
    Permission.DELIVERY_RECEIVE: frozenset({_O, _CO}),
    Permission.INCIDENT_REPORT: frozenset({_O, _CO, _M, _K}),
    Permission.INCIDENT_CARE: frozenset({_M, _CO}),
    Permission.INCIDENT_ASSIGN: frozenset({_CO}),
    Permission.MEAL_PLAN: frozenset({_CO}),
    Permission.ROSTER_EDIT: frozenset({_CO}),
    Permission.OFFICER_SCREEN: frozenset({_M, _CO}),
    Permission.IMPORT_TPS: frozenset({_CO}),
    Permission.IMPORT_OFFICERS: frozenset({_CO}),
    Permission.AREA_SETUP: frozenset(),
    Permission.TOKEN_ADMIN: frozenset(),
    Permission.ACCOUNT_PROVISION: frozenset({_CO}),
    Permission.ACCOUNT_RESET: frozenset({_CO}),
    Permission.ACCOUNT_REVOKE: frozenset({_CO}),
    Permission.ACCOUNT_ADMIN: frozenset(),
    Permission.FIGURES_VIEW: frozenset({_CO}),
    Permission.ACCOUNTS_VIEW: frozenset({_CO}),
    Permission.TPS_VIEW: frozenset({_O, _CO}),
    Permission.INCIDENT_VIEW: frozenset({_O, _M, _CO}),
    Permission.STATION_VIEW: frozenset({_M, _CO}),
    Permission.OWN_STATION_VIEW: frozenset({_M}),
    Permission.ROUTE_VIEW: frozenset({_K}),
    Permission.OFFLINE_PAGES: frozenset({_O, _K, _M}),
    Permission.PUSH_SUBSCRIBE: frozenset({_O, _K, _M, _CO}),
    Permission.SMS_LOG_VIEW: frozenset(),
}
# A read permission without a rule of its own is a page permission: which rows, the read filters decide.
for _permission in HOLDERS:
    RULES.setdefault(_permission, lambda actor, t, p=_permission: holds(actor, p))


def may(actor: Actor, permission: Permission, target: Target = Target()) -> bool:
    """May `actor` do `permission` on the record described by `target`?"""
    return RULES[permission](actor, target)


# What concerns the whole deployment (setting areas up, the election settings, partner tokens, the SMS log of
# every number): the admins without an area only.
NATION_ADMIN_ONLY = frozenset({Permission.AREA_SETUP, Permission.TOKEN_ADMIN, Permission.SMS_LOG_VIEW})


def holds(actor: Actor, permission: Permission) -> bool:
    """May `actor` open the pages of `permission` at all (before any record is known)?"""
    if permission in NATION_ADMIN_ONLY:
        return actor.role == Role.ADMIN and actor.nation_wide
    return bool(role_holds(actor.role, permission))


def role_holds(role: Role, permission: Permission) -> bool | None:
    """`holds` known from the role alone (siaga/live.py's early check has no actor): None when it also
    depends on the actor's area (NATION_ADMIN_ONLY)."""
    if permission in NATION_ADMIN_ONLY:
        return None
    return role == Role.ADMIN or role in HOLDERS[permission]


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def delivery_step_permission(to_status) -> Permission:
    """The receipt (delivered, failed) is the TPS side's; the courier marks dispatched and arrived."""
    from logistics.rules.lifecycles.delivery import RECEIPT_STEPS

    return Permission.DELIVERY_RECEIVE if to_status in RECEIPT_STEPS else Permission.DELIVERY_MOVE
