"""Who may see what: the read policy, as SQL filters, for every page, export, map layer and API call.

`visible(session, actor, Model)` is a where-clause over `Model` selecting the rows `actor` may see;
`personal_visible(session, actor, Model)` selects the rows whose personal fields (patient names,
receivers, phones, free-text notes) it may see too. Lists filter with the first; a detail is
`load_visible` (missing: 404; there but out of scope: 403, as the pages have always answered);
serialisers drop personal fields of rows outside the second. Aggregates over kecamatan (dashboard,
exports, summary, planning) take `kecamatan_ids(actor)`. The Python twin of a rule is the same SQL
run on one row (`can_see`), so a list and a detail can never disagree.

What each role sees (derived from what the pages showed; sessions and tokens bound to a user act as
that user, an agency token as a partner with its scopes). A coordinator's or admin's *area* is the whole
nation (no area), a province (`User.provinsi_kode`), a kab/kota (`User.kota_id`) or a kecamatan
(`User.kecamatan_id`); "its area" below is the kecamatan within it (`area_kecamatan_sql`, the same
SQL for every level):

| Rows of              | admin, coordinator of the nation | coordinator of an area | admin of an area | field officer        | courier                     | medic                                | partner (agency token or user)        |
|----------------------|-------------------------|-----------------------|------------------|----------------------|-----------------------------|--------------------------------------|---------------------------------------|
| kecamatan, kelurahan | all                     | all (the map's base)  | all              | all                  | all                         | all                                  | all, with read:wilayah                |
| TPS                  | all                     | its area              | its area         | own TPS              | TPS of their deliveries     | TPS their station covers (coverage)  | all, with read:tps                    |
| deliveries           | all                     | to its area           | to its area      | to own TPS           | assigned to them            | none                                 | all, with read:deliveries             |
| incidents            | all                     | its area              | its area         | at own TPS           | none                        | their station's                      | all, with read:incidents              |
| medic stations       | all                     | all (public posts)    | all              | all                  | none                        | all                                  | all, with read:incidents              |
| health facilities    | all                     | all                   | all              | all                  | none                        | all                                  | all, with read:incidents              |
| officers (person)    | all                     | its area              | its area         | none                 | none                        | at TPS their station covers          | none                                  |
| summary / dashboard  | nation                  | its area              | its area         | none (403)           | none (403)                  | none (403)                           | nation, with read:summary             |
| accounts (app_user)  | all                     | field staff of its area | every account within its area (`account_in_area`) | own | own              | own                                  | none                                  |
| personal fields      | all rows                | its rows              | its rows         | own TPS's rows; the phone of the station covering it or holding its incidents | none | own station's incidents and phone | only with read:health-pii |

A partner *user* (a browser session of role partner, e.g. `mitra`) has no scopes of its own: it reads
with the scopes its agency's active agency tokens hold (`agency_scopes`), so a session never sees
more than the agency was given. Which kinds a role may read at all (`role_read_scopes`) gates the
API's `read:*` scopes for sessions and user tokens (a user token gets the intersection with its own).
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    ColumnElement, Integer, Select, String, and_, exists, false, func, literal, not_, or_, select, true, union_all,
)
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import PermissionDenied, not_found, out_of_scope
from logistics.permissions import FIELD_ROLES
from logistics.models import (
    ApiToken, Delivery, HealthFacility, HealthIncident, Kecamatan, Kelurahan, Kota, MedicStation, Person, Role,
    Tps, TpsCoverage, User,
)
from logistics.texts import lazy_gettext

READ_KINDS = ("read:wilayah", "read:tps", "read:deliveries", "read:incidents", "read:summary")
PII = "read:health-pii"
# What each role may read at all (the API's read scopes for its sessions and user tokens).
ROLE_READ_SCOPES: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(READ_KINDS) | {PII},
    Role.COORDINATOR: frozenset(READ_KINDS) | {PII},
    Role.FIELD_OFFICER: frozenset({"read:wilayah", "read:tps", "read:deliveries", "read:incidents", PII}),
    Role.COURIER: frozenset({"read:wilayah", "read:tps", "read:deliveries"}),
    Role.MEDIC: frozenset({"read:wilayah", "read:tps", "read:incidents", PII}),
    Role.PARTNER: frozenset(),  # a partner user: its agency's token scopes (agency_scopes)
}


# --- an area: a province, a kab/kota or a kecamatan ---

def area_kecamatan_sql(kecamatan_id: int | None = None, kota_id: int | None = None,
                       provinsi_kode: str | None = None):
    """The kecamatan of an area as SQL: a list of one for a kecamatan, a subquery for a kab/kota or a
    province (by the province part of the kecamatan's own Kemendagri code); None for the whole nation."""
    if kecamatan_id is not None:
        return [kecamatan_id]
    if kota_id is not None:
        return select(Kecamatan.id).where(Kecamatan.kota_id == kota_id)
    if provinsi_kode is not None:
        return select(Kecamatan.id).where(func.substr(Kecamatan.kode_kemendagri, 1, 2) == provinsi_kode)
    return None


def actor_area_sql(actor: Actor):
    """`area_kecamatan_sql` of the actor's area (None: the nation)."""
    return area_kecamatan_sql(actor.kecamatan_id, actor.kota_id, actor.provinsi_kode)


def area_of(session: Session, kecamatan_id: int | None, kota_id: int | None,
            provinsi_kode: str | None) -> tuple[frozenset[int], str | None]:
    """An area's kecamatan and its Kemendagri code (what `Actor.from_user` keeps of a user's area)."""
    ids = area_kecamatan_sql(kecamatan_id, kota_id, provinsi_kode)
    kecamatan = frozenset(ids if isinstance(ids, list) else session.scalars(ids))
    if kecamatan_id is not None:
        code = session.scalar(select(Kecamatan.kode_kemendagri).where(Kecamatan.id == kecamatan_id))
    elif kota_id is not None:
        code = session.scalar(select(Kota.kode_kemendagri).where(Kota.id == kota_id))
    else:
        code = provinsi_kode
    return kecamatan, code


def _listed(kecamatan_ids):
    """A list of kecamatan ids, or an area's subquery as it is (for IN)."""
    return kecamatan_ids if isinstance(kecamatan_ids, Select) else list(kecamatan_ids)


# --- the kecamatan of a row, in SQL (the twins of the Python properties in services) ---

def tps_kecamatan():
    """A scalar subquery: the kecamatan of `Tps`'s kelurahan (for filters without joins)."""
    return select(Kelurahan.kecamatan_id).where(Kelurahan.id == Tps.kelurahan_id).scalar_subquery()


def tps_in_scope(kecamatan_ids) -> ColumnElement[bool] | None:
    """Filter on `Tps` for a list of kecamatan (None: the whole city, no filter)."""
    if kecamatan_ids is None:
        return None
    return Tps.kelurahan_id.in_(select(Kelurahan.id).where(Kelurahan.kecamatan_id.in_(_listed(kecamatan_ids))))


def incident_kecamatan():
    """The kecamatan an incident belongs to: its TPS's, else its medic station's."""
    tps_kec = (select(Kelurahan.kecamatan_id).join(Tps, Tps.kelurahan_id == Kelurahan.id)
               .where(Tps.id == HealthIncident.tps_id).scalar_subquery())
    station_kec = (select(MedicStation.kecamatan_id).where(MedicStation.id == HealthIncident.medic_station_id)
                   .scalar_subquery())
    return func.coalesce(tps_kec, station_kec)


def incident_in_kecamatan(kecamatan_ids) -> ColumnElement[bool] | None:
    """`incident_kecamatan().in_(kecamatan_ids)` as a filter the database can answer from indexes: the
    incident's TPS is in the kecamatan, or it has no TPS and its station is. (The coalesce form makes the
    database evaluate both subqueries for every incident in the country before it can filter.)"""
    if kecamatan_ids is None:
        return None
    # A UNION of two indexed look-ups, then the rows by primary key: an OR of two IN-subqueries is
    # a scan of every incident on PostgreSQL.
    ids = _listed(kecamatan_ids)
    at_tps = select(HealthIncident.id).where(HealthIncident.tps_id.in_(select(Tps.id).where(tps_in_scope(ids))))
    at_station = select(HealthIncident.id).where(
        HealthIncident.tps_id.is_(None),
        HealthIncident.medic_station_id.in_(select(MedicStation.id).where(MedicStation.kecamatan_id.in_(ids))))
    return HealthIncident.id.in_(union_all(at_tps, at_station))


def person_kecamatan():
    """An officer's kecamatan: their TPS's, else their kelurahan's, else their own."""
    tps_kec = (select(Kelurahan.kecamatan_id).join(Tps, Tps.kelurahan_id == Kelurahan.id)
               .where(Tps.id == Person.tps_id).scalar_subquery())
    kel_kec = select(Kelurahan.kecamatan_id).where(Kelurahan.id == Person.kelurahan_id).scalar_subquery()
    return func.coalesce(tps_kec, kel_kec, Person.kecamatan_id)


def person_in_kecamatan(kecamatan_ids) -> ColumnElement[bool] | None:
    """`person_kecamatan().in_(kecamatan_ids)` as a filter answered from indexes (its TPS in scope; else,
    without a TPS, its kelurahan; else, without either, its own kecamatan), so a kecamatan's officers are
    found without working out the kecamatan of millions of others first."""
    if kecamatan_ids is None:
        return None
    # A UNION of indexed look-ups (see incident_in_kecamatan): the three ways of `people_of_kecamatan`.
    return Person.id.in_(select(people_of_kecamatan(kecamatan_ids).c.person_id))


def people_of_kecamatan(kecamatan_ids, columns=(), where=()):
    """(person_id, kecamatan_id, *columns) of the people of these kecamatan, each with its
    `person_kecamatan()` and the `columns` of Person asked for: found three ways (their TPS's kelurahan; else
    their kelurahan; else their own kecamatan; `person_in_kecamatan` filters by them), each way giving the
    kecamatan it found them by, so no one's kecamatan is worked out again by a subquery per person (a kota's
    13,000 people, two subqueries each, twice: PostgreSQL then judged the dashboard's login readiness worth
    compiling, 40 of its 100 ms). The ways are disjoint: one row each. `where` (criteria on Person) narrows
    each way as it finds them."""
    ids = _listed(kecamatan_ids)
    person = (Person.id.label("person_id"), *columns)
    return union_all(
        select(*person, Kelurahan.kecamatan_id.label("kecamatan_id"))
        .join(Tps, Person.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
        .where(Kelurahan.kecamatan_id.in_(ids), *where),
        select(*person, Kelurahan.kecamatan_id).join(Kelurahan, Person.kelurahan_id == Kelurahan.id)
        .where(Person.tps_id.is_(None), Kelurahan.kecamatan_id.in_(ids), *where),
        select(*person, Person.kecamatan_id)
        .where(Person.tps_id.is_(None), Person.kelurahan_id.is_(None), Person.kecamatan_id.in_(ids), *where)
    ).subquery()


def account_kecamatan():
    """The kecamatan of an account (`User`): its TPS's, its medic station's, its person's, else its own
    kecamatan column (a coordinator's, a courier's). NULL for city-wide accounts."""
    tps_kec = (select(Kelurahan.kecamatan_id).join(Tps, Tps.kelurahan_id == Kelurahan.id)
               .where(Tps.id == User.tps_id).scalar_subquery())
    station_kec = select(MedicStation.kecamatan_id).where(MedicStation.id == User.medic_station_id).scalar_subquery()
    person_kec = select(person_kecamatan()).where(Person.id == User.person_id).scalar_subquery()
    return func.coalesce(tps_kec, station_kec, person_kec, User.kecamatan_id)


def account_kecamatan_id(session: Session, user) -> int | None:
    """`account_kecamatan` of one account (the target of the account permissions)."""
    return session.scalar(select(account_kecamatan()).where(User.id == user.id))


# --- scopes ---

AREA_ROLES = (Role.ADMIN, Role.COORDINATOR)  # the roles whose scope is an area


def is_nation_wide(actor: Actor) -> bool:
    """An admin or coordinator without an area: every row."""
    return actor.role in AREA_ROLES and actor.nation_wide


def kecamatan_ids(actor: Actor | None) -> list[int] | None:
    """The kecamatan whose figures the actor may see: None for the whole nation (admins and coordinators
    without an area, partners), the kecamatan of their area for the others (one for a kecamatan, those
    of a kab/kota or a province). Field roles have no kecamatan view: aggregate readers refuse them
    (`require_kecamatan_view`)."""
    if actor is None or actor.role not in AREA_ROLES:
        return None
    scope = actor.scope_kecamatan()
    return None if scope is None else sorted(scope)


def kecamatan_ids_rows(user_where: ColumnElement[bool], nation: str, kecamatan: str) -> tuple[Select, ...]:
    """`kecamatan_ids` of the account `user_where` selects (over `Actor.from_user`), in SQL, for a statement that
    reads more with it (siaga/live.py's early check, with the login's test): rows of two columns, (`nation`, 0)
    when it is None, else (`kecamatan`, id) once per kecamatan of the area (none: an area without kecamatan, which
    sees nothing). Its twin's order of precedence (`area_kecamatan_sql`): a kecamatan, else a kab/kota, else a
    province. tests/test_live_early.py holds the two equal for each kind of area."""
    has_area = or_(User.kecamatan_id.is_not(None), User.kota_id.is_not(None), User.provinsi_kode.is_not(None))
    in_area = and_(User.role.in_(AREA_ROLES), has_area)
    nation_row = select(literal(nation, String), literal(0, Integer)).where(user_where, not_(in_area))
    own = (select(literal(kecamatan, String), User.kecamatan_id)
           .where(user_where, in_area, User.kecamatan_id.is_not(None)))
    wider = (select(literal(kecamatan, String), Kecamatan.id).join(User, user_where)
             .where(in_area, User.kecamatan_id.is_(None),
                    or_(Kecamatan.kota_id == User.kota_id,
                        and_(User.kota_id.is_(None),
                             func.substr(Kecamatan.kode_kemendagri, 1, 2) == User.provinsi_kode))))
    return nation_row, own, wider


def account_in_area(actor: Actor) -> ColumnElement[bool]:
    """Accounts within an admin's area: those whose kecamatan is in it (field staff, kecamatan
    coordinators), and coordinators and admins of a kab/kota or province within it."""
    area = actor_area_sql(actor)
    wider = []
    if actor.kota_id is not None:
        wider.append(User.kota_id == actor.kota_id)
    if actor.provinsi_kode is not None:
        wider += [User.provinsi_kode == actor.provinsi_kode,
                  User.kota_id.in_(select(Kota.id).where(func.substr(Kota.kode_kemendagri, 1, 2) == actor.provinsi_kode))]
    return or_(account_kecamatan().in_(_listed(area)), *wider)


def agency_scopes(session: Session, agency: str | None) -> frozenset[str]:
    """The read scopes an agency was given: the union over its active agency tokens."""
    if not agency:
        return frozenset()
    scopes: set[str] = set()
    for token in session.scalars(select(ApiToken).where(ApiToken.agency == agency, ApiToken.user_id.is_(None))):
        if token.live():
            scopes.update(s for s in token.scopes if s.startswith("read:"))
    return frozenset(scopes)


def _covered_tps(station_id: int | None):
    """The TPS a medic's station covers, as a subquery on `tps_coverage` (the same rows in every process)."""
    from logistics.queries.coverage import covered_by

    return covered_by(station_id) if station_id is not None else None


def _when(value, clause_of):
    """`clause_of(value)` when the actor has that scope value, else no rows."""
    return clause_of(value) if value is not None else false()


def _covered(column):
    """Rows whose TPS `column` the actor's station covers (a medic)."""
    return lambda a: _when(_covered_tps(a.medic_station_id), column.in_)


_ALL = lambda a: true()  # noqa: E731
_AREA = actor_area_sql
# The rows of an area, for its coordinators and admins alike (`_AREA(a)`: the kecamatan of the actor's
# province, kab/kota or kecamatan, in SQL).
_IN_AREA: dict[type, Callable[[Actor], ColumnElement[bool]]] = {
    Tps: lambda a: tps_in_scope(_AREA(a)),
    Delivery: lambda a: Delivery.tps_id.in_(select(Tps.id).where(tps_in_scope(_AREA(a)))),
    HealthIncident: lambda a: incident_in_kecamatan(_AREA(a)),
    Person: lambda a: person_in_kecamatan(_AREA(a)),
}
# The read filters: (model, role) -> the rows that role sees, as SQL, for a scoped actor (nation-wide
# admins and coordinators see every row; partners the whole deployment, their scopes deciding which
# kinds). A pair not listed sees no rows.
READ_FILTERS: dict[tuple[type, Role], Callable[[Actor], ColumnElement[bool]]] = {
    **{(model, role): _ALL for model in (Kota, Kecamatan, Kelurahan) for role in Role},
    **{(model, role): _ALL for model in (MedicStation, HealthFacility)
       for role in (Role.ADMIN, Role.COORDINATOR, Role.FIELD_OFFICER, Role.MEDIC)},
    **{(model, role): in_area for model, in_area in _IN_AREA.items() for role in AREA_ROLES},
    (Tps, Role.FIELD_OFFICER): lambda a: _when(a.tps_id, lambda v: Tps.id == v),
    (Tps, Role.COURIER): lambda a: _when(
        a.person_id, lambda v: Tps.id.in_(select(Delivery.tps_id).where(Delivery.courier_id == v))),
    (Tps, Role.MEDIC): _covered(Tps.id),
    (Delivery, Role.FIELD_OFFICER): lambda a: _when(a.tps_id, lambda v: Delivery.tps_id == v),
    (Delivery, Role.COURIER): lambda a: _when(a.person_id, lambda v: Delivery.courier_id == v),
    (HealthIncident, Role.FIELD_OFFICER): lambda a: _when(a.tps_id, lambda v: HealthIncident.tps_id == v),
    (HealthIncident, Role.MEDIC): lambda a: _when(a.medic_station_id, lambda v: HealthIncident.medic_station_id == v),
    (User, Role.COORDINATOR): lambda a: account_kecamatan().in_(_listed(_AREA(a)))
    & User.role.in_(sorted(FIELD_ROLES, key=lambda r: r.value)),
    (User, Role.ADMIN): account_in_area,
    **{(User, role): (lambda a: _when(a.user_id, lambda v: User.id == v))
       for role in (Role.FIELD_OFFICER, Role.COURIER, Role.MEDIC)},
    (Person, Role.MEDIC): _covered(Person.tps_id),
}


def visible(session: Session, actor: Actor, model) -> ColumnElement[bool]:
    """The rows of `model` that `actor` may see, as a where-clause (`READ_FILTERS`)."""
    if is_nation_wide(actor):
        return true()
    if actor.role == Role.PARTNER:  # the whole city; their scopes decide which kinds (checked by the caller)
        return false() if model in (Person, User) else true()
    read_filter = READ_FILTERS.get((model, actor.role))
    return read_filter(actor) if read_filter is not None else false()


def personal_visible(session: Session, actor: Actor, model) -> ColumnElement[bool]:
    """The rows of `model` whose personal fields `actor` may see (always within `visible`)."""
    if actor.role == Role.PARTNER:
        return true() if PII in actor.scopes else false()
    if actor.role == Role.FIELD_OFFICER and model is MedicStation:
        return _stations_for_tps(actor.tps_id)
    if actor.role in (Role.ADMIN, Role.COORDINATOR, Role.FIELD_OFFICER):
        return visible(session, actor, model) if model is not MedicStation else (
            true() if is_nation_wide(actor) else
            MedicStation.kecamatan_id.in_(_listed(_AREA(actor))) if actor.role in AREA_ROLES else false())
    if actor.role == Role.MEDIC:
        if model is HealthIncident:
            return visible(session, actor, model)
        if model is MedicStation and actor.medic_station_id is not None:
            return MedicStation.id == actor.medic_station_id
    return false()


def _stations_for_tps(tps_id: int | None) -> ColumnElement[bool]:
    """The stations an officer calls: the one covering their TPS and any holding one of its incidents
    (a reassigned one too), so the officer who reported sees whom to phone."""
    if tps_id is None:
        return false()
    return MedicStation.id.in_(union_all(
        select(TpsCoverage.medic_station_id).where(TpsCoverage.tps_id == tps_id),
        select(HealthIncident.medic_station_id).where(HealthIncident.tps_id == tps_id,
                                                      HealthIncident.medic_station_id.is_not(None))))


def visible_ids(session: Session, clause: ColumnElement[bool], model, ids) -> set[int]:
    """Of `ids`, those of rows matching `clause` (one query for a whole page)."""
    ids = list(ids)
    if not ids:
        return set()
    return set(session.scalars(select(model.id).where(model.id.in_(ids), clause)))


def can_see(session: Session, actor: Actor, record) -> bool:
    """The Python twin of `visible` for one loaded row: the same SQL, on its id."""
    model = type(record)
    return bool(session.scalar(select(exists().where(model.id == record.id, visible(session, actor, model)))))


def sees_personal(session: Session, actor: Actor, record) -> bool:
    model = type(record)
    return bool(session.scalar(select(exists().where(model.id == record.id,
                                                     personal_visible(session, actor, model)))))


def load_visible(session: Session, actor: Actor, model, record_id: int, what: str, options=()):
    """The row, if the actor may see it: NotFound when missing, PermissionDenied when out of scope.

    One query when it is seen (the row with `visible` in its where-clause; `options`: loader options for
    what the page shows of it, e.g. its kelurahan), a second only to tell a missing row from one out of
    scope."""
    record = session.scalar(select(model).options(*options).where(model.id == record_id,
                                                                  visible(session, actor, model)))
    if record is not None:
        return record
    if session.get(model, record_id) is None:
        raise not_found(what, record_id)
    raise out_of_scope(what, record_id)


def require_kecamatan_view(actor: Actor) -> None:
    """Aggregates by kecamatan (the summary API): coordinators, admins, partners (by scope)."""
    if actor.role not in (Role.ADMIN, Role.COORDINATOR, Role.PARTNER):
        raise PermissionDenied(lazy_gettext("Hanya koordinator"))


__all__ = [
    "PII", "READ_KINDS", "account_kecamatan", "account_kecamatan_id", "ROLE_READ_SCOPES", "agency_scopes", "can_see", "incident_kecamatan", "incident_in_kecamatan", "person_in_kecamatan",
    "AREA_ROLES", "account_in_area", "actor_area_sql", "area_kecamatan_sql", "area_of", "is_nation_wide",
    "kecamatan_ids", "person_kecamatan", "load_visible", "personal_visible",
    "require_kecamatan_view", "sees_personal", "tps_in_scope", "tps_kecamatan", "visible", "visible_ids",
]
