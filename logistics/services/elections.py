"""Elections as records (logistics/models/election.py): a new election made from an earlier one, and which
one is active.

A new election copies the earlier one's TPS, medic stations, people and settings (its day excepted), with
their foreign keys remapped to the copies (matched by code, which is unique per election); not the day's
records: TPS statuses and officer counts start over, and no deliveries, meal plans, incidents, screenings,
check-ins, roster shifts or situation reports are copied. Shared, so not copied: the areas (kota, kecamatan,
kelurahan and their outlines: reference data for every election), health facilities and vendors.

Accounts are shared too: one login works in every election. What an account is posted to (a TPS, a medic
station, a person record) follows the active election: making an election active moves each posting to the
record of the same code in it (`activate`), so a field officer's login keeps opening their own TPS.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session, aliased

from logistics.actor import Actor
from logistics.election_scope import active_election_id, forget_active, within
from logistics.errors import ValidationFailed, not_found
from logistics.models import Election, ElectionKind, ElectionSetting, MedicStation, Person, Tps, User
from logistics.models.base import max_length
from logistics.permissions import Permission, may, require
from logistics.services import coverage
from logistics.services.common import audit, commit, snapshot
from logistics.services.data_versions import touch
from logistics.services.unit_of_work import in_unit_of_work
from logistics.texts import lazy_gettext
from logistics.timeutil import utcnow

ALL = {"all_elections": True}  # statements that name their elections themselves (no session criteria)

# What a new election takes over from the earlier one: the sites and the people, never the day's state.
TPS_SITE = ("code", "kelurahan_id", "number", "kind", "special_location", "address", "lat", "lon",
            "position_synthetic", "position_approximate", "dpt")
STATION_SITE = ("code", "name", "kecamatan_id", "base_facility_id", "lat", "lon", "contact_phone", "ambulances",
                "hours_from", "hours_to")
PERSON_FIELDS = ("code", "name", "role", "phone", "phone_e164", "active", "kelurahan_id", "kecamatan_id", "vendor_id")
NOT_COPIED_SETTINGS = ("election_date",)  # the new election's day is its own


def _require_admin(actor: Actor) -> None:
    require(may(actor, Permission.AREA_SETUP), lazy_gettext("Hanya admin yang dapat mengatur pemilihan"))


def _check(kind: str, name: str, day) -> tuple[ElectionKind, str, date]:
    errors = {}
    try:
        kind_value = ElectionKind(kind)
    except ValueError:
        kind_value = None
        errors["kind"] = lazy_gettext("jenis pemilihan tidak dikenal")
    name = (name or "").strip()
    if not name:
        errors["name"] = lazy_gettext("wajib diisi")
    elif len(name) > max_length(Election.name):
        errors["name"] = lazy_gettext("paling banyak {n} karakter", n=max_length(Election.name))
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            day = None
    if not isinstance(day, date):
        errors["day"] = lazy_gettext("tanggal tidak valid (TTTT-BB-HH)")
    if errors:
        raise ValidationFailed(lazy_gettext("Pemilihan tidak valid"), fields=errors)
    return kind_value, name, day


def _copy(session: Session, model, columns: tuple[str, ...], source: int, target: int, now, **remapped) -> None:
    """INSERT ... SELECT the source election's rows of `model` into the target election, in one statement
    (a national election's 820,000 TPS are not loaded as objects); `remapped`: column -> its SQL value."""
    names = [*columns, *remapped, "election_id", "created_at", "updated_at"]
    values = [getattr(model, c) for c in columns] + list(remapped.values()) + [literal(target), literal(now),
                                                                               literal(now)]
    session.execute(insert(model.__table__).from_select(names, select(*values).where(model.election_id == source)),
                    execution_options=ALL)


def _same_code(model, source_id_column, target: int):
    """The id of the row of `model` in the target election with the code of the row `source_id_column` names."""
    old, new = aliased(model), aliased(model)
    return (select(new.id).join(old, old.code == new.code)
            .where(old.id == source_id_column, new.election_id == target).scalar_subquery())


@in_unit_of_work
def create_election(session: Session, actor: Actor, *, from_election_id: int, kind: str, name: str, day,
                    activate: bool = False) -> Election:
    """A new election from an earlier one (see the module's docstring); `activate`: make it the active one."""
    _require_admin(actor)
    source = session.get(Election, from_election_id)
    if source is None:
        raise not_found("Pemilihan", from_election_id)
    kind_value, name, day = _check(kind, name, day)
    election = Election(kind=kind_value, name=name, day=day, active=False, created_from_id=source.id)
    session.add(election)
    session.flush()
    now, target = utcnow(), election.id
    _copy(session, MedicStation, STATION_SITE, source.id, target, now)
    _copy(session, Tps, TPS_SITE, source.id, target, now, status=literal("setup"), drill=literal(False))
    _copy(session, Person, PERSON_FIELDS, source.id, target, now,
          tps_id=_same_code(Tps, Person.tps_id, target),
          medic_station_id=_same_code(MedicStation, Person.medic_station_id, target))
    session.execute(insert(ElectionSetting.__table__).from_select(
        ["key", "value", "election_id", "created_at", "updated_at"],
        select(ElectionSetting.key, ElectionSetting.value, literal(target), literal(now), literal(now))
        .where(ElectionSetting.election_id == source.id, ElectionSetting.key.not_in(NOT_COPIED_SETTINGS))),
        execution_options=ALL)
    with within(session, target):
        coverage.recompute_all(session)  # the copies' nearest stations, in the new election
    audit(session, actor, "election.create", election, None, extra={"copied_from": source.id})
    if activate:
        _activate(session, election)
    commit(session)
    return election


@in_unit_of_work
def activate(session: Session, actor: Actor, election_id: int) -> Election:
    """Make this election the active one (what every page, the API, the worker and the drill serve)."""
    _require_admin(actor)
    election = session.get(Election, election_id)
    if election is None:
        raise not_found("Pemilihan", election_id)
    if not election.active:
        before = snapshot(election)
        _activate(session, election)
        audit(session, actor, "election.activate", election, before)
    commit(session)
    return election


def _activate(session: Session, election: Election) -> None:
    target = election.id
    previous = active_election_id(session)
    session.execute(update(Election).where(Election.active.is_(True), Election.id != target).values(active=False))
    session.flush()
    election.active = True
    session.flush()
    # Each account's posting moves to the record of the same code in the new election (kept if it has none).
    for column, model in ((User.tps_id, Tps), (User.medic_station_id, MedicStation), (User.person_id, Person)):
        session.execute(update(User).where(column.is_not(None)).values(
            {column.key: func.coalesce(_same_code(model, column, target), column)}), execution_options=ALL)
    forget_active(session)
    if previous != target:
        # Every page's data changed: the versions (ETags) and the map's counts follow.
        touch(session, "tps", "delivery", "health_incident", "medic_station", "person")


def elections(session: Session) -> list[Election]:
    """Every election, newest first."""
    return list(session.scalars(select(Election).order_by(Election.id.desc())))
