"""Medic rosters: put a medic on a shift at a station, or take them off."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import ValidationFailed
from logistics.models import MedicStation, Person, PersonRole, RosterShift
from logistics.permissions import Permission, Target, may, require
from logistics.services.common import audit, commit, load, snapshot
from logistics.timeutil import as_utc
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work

MAX_SHIFT = timedelta(hours=12)  # nobody is rostered for longer: medics get tired too


def _may_roster(actor: Actor, station: MedicStation) -> bool:
    return may(actor, Permission.ROSTER_EDIT, Target(kecamatan_id=station.kecamatan_id))


@in_unit_of_work
def add_shift(session: Session, actor: Actor, station_id: int, person_id: int, starts_at: datetime,
              ends_at: datetime) -> RosterShift:
    station = load(session, MedicStation, station_id, "Pos kesehatan")
    require(_may_roster(actor, station), lazy_gettext("Hanya koordinator yang dapat mengatur jadwal jaga"))
    errors = {}
    person = session.get(Person, person_id)
    if person is None or person.role != PersonRole.MEDIC:
        errors["person_id"] = lazy_gettext("Pilih tenaga kesehatan.")
    try:
        starts_at, ends_at = as_utc(starts_at), as_utc(ends_at)
    except (ValueError, AttributeError):
        raise ValidationFailed(lazy_gettext("Waktu tidak valid"),
                               {"starts_at": lazy_gettext("Isi waktu dengan zona waktu.")})
    if ends_at <= starts_at:
        errors["ends_at"] = lazy_gettext("Selesai harus setelah mulai.")
    elif ends_at - starts_at > MAX_SHIFT:
        errors["ends_at"] = lazy_gettext("Satu giliran jaga paling lama 12 jam.")
    if not errors:
        overlap = session.scalar(select(RosterShift).where(
            RosterShift.person_id == person_id, RosterShift.starts_at < ends_at, RosterShift.ends_at > starts_at))
        if overlap is not None:
            errors["starts_at"] = lazy_gettext("Tenaga kesehatan ini sudah berjaga pada waktu tersebut.")
    if errors:
        raise ValidationFailed(lazy_gettext("Jadwal jaga tidak valid"), errors)
    shift = RosterShift(medic_station_id=station.id, person_id=person_id, starts_at=starts_at, ends_at=ends_at)
    session.add(shift)
    audit(session, actor, "roster.shift_added", shift, None)
    commit(session)
    return shift


@in_unit_of_work
def remove_shift(session: Session, actor: Actor, shift_id: int) -> None:
    shift = load(session, RosterShift, shift_id, "Giliran jaga")
    require(_may_roster(actor, shift.medic_station), lazy_gettext("Hanya koordinator yang dapat mengatur jadwal jaga"))
    before = snapshot(shift)
    audit(session, actor, "roster.shift_removed", shift, before, removed=True)
    session.delete(shift)
    commit(session)
