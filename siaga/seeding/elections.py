"""The demo's two elections: Pangkalpinang's Pilkada of 27 November 2024, a past election with its day's
records (every TPS handed over, the logistics and meals received, a few incidents closed), and today's drill
as the re-run (Pilkada Ulang), the active one. The past one is made from the city as seeded
(logistics/services/elections.py: TPS, stations and people copied); its records are written in it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.election_scope import active_election_id, within
from logistics.models import (
    Delivery, DeliveryStatus, Election, ElectionKind, HealthIncident, IncidentStatus, PatientKind, Tps, TpsStatus,
    Triage,
)
from logistics.services.elections import create_election
from siaga.seeding import plans

PAST_DAY = date(2024, 11, 27)
PAST_NAME = "Pilkada Kota Pangkalpinang 2024"
ACTIVE_NAME = "Pilkada Ulang Kota Pangkalpinang (latihan)"
WIB = timezone(timedelta(hours=7))


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(PAST_DAY, time(hour, minute), tzinfo=WIB)


def seed(session: Session) -> dict[str, tuple[int, int]]:
    active = session.get(Election, active_election_id(session))
    if active.name == "Pilkada" and active.kind == ElectionKind.PILKADA:  # the migration's placeholder
        active.kind, active.name = ElectionKind.PILKADA_ULANG, ACTIVE_NAME
    if session.scalar(select(Election.id).where(Election.day == PAST_DAY)) is not None:
        return {"election": (session.scalar(select(func.count()).select_from(Election)), 0)}
    past = create_election(session, Actor.system("seed"), from_election_id=active.id, kind=ElectionKind.PILKADA.value,
                           name=PAST_NAME, day=PAST_DAY)
    with within(session, past.id):
        plans.seed(session, PAST_DAY)
        session.execute(update(Tps).values(
            status=TpsStatus.HANDED_OVER, officers_present=7, officers_reported_at=_at(6, 30), opened_at=_at(7),
            voting_closed_at=_at(13), counted_at=_at(18), handed_over_at=_at(21)))
        session.execute(update(Delivery).values(
            status=DeliveryStatus.DELIVERED, delivered_at=Delivery.planned_at, quantity_received=Delivery.quantity_planned,
            received_by="Ketua KPPS"))
        tps = session.scalars(select(Tps).order_by(Tps.code).limit(3)).all()
        for i, (place, complaint, triage) in enumerate(zip(tps, ("kelelahan", "pusing/hipertensi", "pingsan"),
                                                           (Triage.HIJAU, Triage.KUNING, Triage.MERAH))):
            session.add(HealthIncident(
                occurred_at=_at(10 + i), reported_at=_at(10 + i), responding_at=_at(10 + i, 10),
                treated_at=_at(10 + i, 30), closed_at=_at(11 + i), tps_id=place.id, patient_kind=PatientKind.OFFICER,
                complaint=complaint, triage=triage, status=IncidentStatus.CLOSED))
        session.flush()
    return {"election": (session.scalar(select(func.count()).select_from(Election)), 1)}
