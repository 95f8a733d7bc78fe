"""Medic rosters for election day and officers' screenings before it (synthetic vital signs)."""
from __future__ import annotations

import random
from datetime import date, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import HealthCheckin, HealthScreening, MedicStation, Person, PersonRole, RosterShift
from logistics.queries.zones import deployment_zone
from logistics.rules.checkins import schedule
from logistics.rules.risk import assess
from logistics.rules.roster import opening_window
from logistics.timeutil import local_at
from siaga.seeding.plans import ELECTION_DAY

SCREENING_BEFORE = timedelta(days=7)
OFFICERS = (PersonRole.KPPS_KETUA, PersonRole.KPPS_ANGGOTA, PersonRole.LINMAS)


def seed(session: Session, election_day: date = ELECTION_DAY) -> dict[str, tuple[int, int]]:
    return {"roster_shift": _rosters(session, election_day), "health_screening": _screenings(session, election_day)}


def _rosters(session: Session, election_day: date) -> tuple[int, int]:
    """Each station's medics split its election-day hours into consecutive shifts (for a station
    with no shift on that day yet: a demo re-seeded for a new ELECTION_DATE gets that day's roster)."""
    added = 0
    for station in session.scalars(select(MedicStation).order_by(MedicStation.code)):
        start, end = opening_window(election_day, station.hours_from, station.hours_to, station.kecamatan.zone)
        if session.scalar(select(RosterShift.id).where(RosterShift.medic_station_id == station.id,
                                                       RosterShift.starts_at < end, RosterShift.ends_at > start)
                          .limit(1)) is not None:
            continue
        medics = session.scalars(select(Person).where(Person.medic_station_id == station.id,
                                                      Person.role == PersonRole.MEDIC).order_by(Person.code)).all()
        step = (end - start) / max(len(medics), 1)
        for i, medic in enumerate(medics):
            session.add(RosterShift(medic_station_id=station.id, person_id=medic.id,
                                    starts_at=start + i * step, ends_at=start + (i + 1) * step))
            added += 1
    session.flush()
    return session.scalar(select(func.count()).select_from(RosterShift)), added


def _vitals(rng: random.Random) -> dict:
    age = rng.randint(19, 66)
    conditions = [key for key, p in (("hipertensi", 0.08), ("diabetes", 0.05), ("asma", 0.03), ("obesitas", 0.05),
                                     ("penyakit_jantung", 0.015)) if rng.random() < p]
    return dict(age=age, systolic=int(rng.gauss(118 + (age - 20) * 0.5, 13)), diastolic=int(rng.gauss(78, 9)),
                blood_sugar=int(rng.gauss(108, 25)), conditions=conditions)


def _screenings(session: Session, election_day: date) -> tuple[int, int]:
    screened = set(session.scalars(select(HealthScreening.person_id)))
    added = 0
    officers = session.scalars(select(Person).where(Person.role.in_(OFFICERS)).order_by(Person.code))
    zone = deployment_zone(session)
    for officer in officers:
        if officer.id in screened:
            continue
        rng = random.Random(f"siaga-screening-{officer.code}")
        v = _vitals(rng)
        result = assess(v["systolic"], v["diastolic"], v["blood_sugar"], v["age"], tuple(v["conditions"]))
        session.add(HealthScreening(person_id=officer.id, screened_at=local_at(election_day - SCREENING_BEFORE, time(9 + rng.randint(0, 6)), zone),
                                    risk_tier=result.tier, risk_reasons=list(result.reasons), **v))
        session.add_all(HealthCheckin(person_id=officer.id, kind=kind, due_at=due)
                        for kind, due in schedule(result.tier, election_day, zone))
        added += 1
    session.flush()
    return session.scalar(select(func.count()).select_from(HealthScreening)), added

