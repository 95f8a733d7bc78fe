"""Officer health screening before the day, and the medics' check-ins that follow from it."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import InvalidTransition, ValidationFailed
from logistics.models import HealthCheckin, HealthScreening, Person, PersonRole, Role
from logistics.permissions import Permission, Target, may, require
from logistics.queries.coverage import covering_station
from logistics.queries.zones import deployment_zone
from logistics.rules.checkins import schedule
from logistics.rules.risk import CONDITIONS, assess
from logistics.services.common import audit, commit, load, snapshot, step_time
from logistics.texts import lazy_gettext, lazy_pgettext
from logistics.services.unit_of_work import in_unit_of_work

OFFICER_ROLES = (PersonRole.KPPS_KETUA, PersonRole.KPPS_ANGGOTA, PersonRole.LINMAS, PersonRole.PPS)
OUTCOMES = {"baik": lazy_gettext("Baik"), "perlu_tindak_lanjut": lazy_gettext("Perlu tindak lanjut"),
            "dirujuk": lazy_pgettext("check-in outcome", "Dirujuk")}
RANGES = {"systolic": (50, 300), "diastolic": (30, 200), "blood_sugar": (20, 1000), "age": (17, 100)}


def _covering_station(session: Session, person: Person) -> int | None:
    return covering_station(session, person.tps) if person.tps is not None else None


def screening_target(session: Session, actor: Actor, person: Person) -> Target:
    """What Permission.OFFICER_SCREEN knows of an officer: their kecamatan, and (for medics only, as it
    costs a coverage look-up) the station covering their TPS."""
    kecamatan_id = person.tps.kelurahan.kecamatan_id if person.tps else (
        person.kelurahan.kecamatan_id if person.kelurahan else None)
    station_id = _covering_station(session, person) if actor.role == Role.MEDIC else None
    return Target(kecamatan_id=kecamatan_id, medic_station_id=station_id)


def officer_to_screen(session: Session, actor: Actor, person_id: int) -> Person:
    """The officer, if `actor` may screen them (Permission.OFFICER_SCREEN on their area): NotFound when
    there is no such person, PermissionDenied when out of the actor's area. The screening page reads its
    officer through this, as `record_screening` does, so the rule is applied in one place."""
    person = load(session, Person, person_id, "Petugas")
    require(may(actor, Permission.OFFICER_SCREEN, screening_target(session, actor, person)),
            lazy_gettext("Petugas ini di luar wilayah Anda"))
    return person


@in_unit_of_work
def record_screening(session: Session, actor: Actor, person_id: int, *, systolic: int, diastolic: int,
                     blood_sugar: int | None, age: int, conditions: list[str] | tuple[str, ...] = (),
                     notes: str | None = None, election_day: date, screened_at: datetime | None = None
                     ) -> HealthScreening:
    """Store a screening, compute the risk tier, and (re)schedule the officer's check-ins."""
    person = officer_to_screen(session, actor, person_id)
    errors: dict[str, str] = {}
    if person.role not in OFFICER_ROLES:
        errors["person_id"] = lazy_gettext("Skrining hanya untuk petugas KPPS, Linmas dan PPS.")
    values = {"systolic": systolic, "diastolic": diastolic, "blood_sugar": blood_sugar, "age": age}
    for name, value in values.items():
        low, high = RANGES[name]
        if value is None and name == "blood_sugar":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = lazy_gettext("Isi angka {low} sampai {high}.", low=low, high=high)
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        errors["conditions"] = lazy_gettext("Kondisi tidak dikenal: {names}", names=", ".join(unknown))
    if errors:
        raise ValidationFailed(lazy_gettext("Data skrining tidak valid"), errors)
    result = assess(systolic, diastolic, blood_sugar, age, tuple(conditions))
    screening = HealthScreening(person_id=person.id, screened_at=step_time(screened_at, "screened_at", session=session),
                                systolic=systolic, diastolic=diastolic, blood_sugar=blood_sugar, age=age,
                                conditions=list(conditions), risk_tier=result.tier, risk_reasons=list(result.reasons),
                                screened_by_id=actor.user_id, notes=(notes or "").strip() or None)
    session.add(screening)
    # A new screening replaces the plan: drop the check-ins not yet done, schedule afresh.
    session.execute(delete(HealthCheckin).where(HealthCheckin.person_id == person.id, HealthCheckin.done_at.is_(None)))
    done_times = set(session.scalars(select(HealthCheckin.due_at).where(HealthCheckin.person_id == person.id)))
    # The officer's own area's clock: a TPS's kelurahan, else the kecamatan posted to.
    area = person.tps.kelurahan if person.tps else person.kecamatan
    zone = area.zone if area is not None else deployment_zone(session)
    for kind, due in schedule(result.tier, election_day, zone):
        if due not in done_times:
            session.add(HealthCheckin(person_id=person.id, kind=kind, due_at=due))
    audit(session, actor, "screening.recorded", screening, None)
    commit(session)
    return screening


@in_unit_of_work
def complete_checkin(session: Session, actor: Actor, checkin_id: int, outcome: str, notes: str | None = None,
                     at: datetime | None = None) -> HealthCheckin:
    checkin = load(session, HealthCheckin, checkin_id, "Pemeriksaan")
    require(may(actor, Permission.OFFICER_SCREEN, screening_target(session, actor, checkin.person)), lazy_gettext("Petugas ini di luar wilayah Anda"))
    if checkin.done_at is not None:
        raise InvalidTransition(lazy_gettext("Pemeriksaan ini sudah dicatat"),
                                {"checkin": lazy_gettext("Sudah dicatat.")})
    if outcome not in OUTCOMES:
        raise ValidationFailed(lazy_gettext("Hasil pemeriksaan tidak valid"),
                               {"outcome": lazy_gettext("Pilih salah satu: {choices}", choices=", ".join(OUTCOMES))})
    before = snapshot(checkin)
    checkin.done_at = step_time(at, session=session)
    checkin.done_by_id = actor.user_id
    checkin.outcome = outcome
    checkin.notes = (notes or "").strip() or None
    audit(session, actor, "checkin.done", checkin, before)
    commit(session)
    return checkin
