"""Who is told of an event: the one rule for every channel (Web Push now, SMS next).

Each event kind names the people it concerns, from the ids the event carries:
- medics of the receiving station: an incident reported at, reassigned to or reopened at their station;
- the TPS's officers: a meal or item marked arrived (confirm it), their incident responded to or referred;
- the courier: their route changed (a receipt corrected back, a stop re-planned);
- coordinators whose area holds the kecamatan (its own, its kab/kota's, its province's, the nation's): the critical alerts, officers below quorum, a
  delivery that is not coming.
Active accounts only. Drill events are told like real ones: a drill is how the people practise the day.
"""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from logistics.events import CRITICAL_ALERTS, TO_STATION, EventKind
from logistics.models import Kecamatan, OutboxEvent, Role, User

K = EventKind
# Incident steps the reporting TPS hears of (a closed one it saw happen; treated-on-site is the medic there).
TPS_HEARS_INCIDENT_STEPS = frozenset({"responding", "referred"})


def audience(session: Session, event: OutboxEvent) -> list[int]:
    """The ids of the active users to tell of `event`, in id order (none: nobody needs to know)."""
    kind, data = EventKind(event.kind), event.data or {}
    who = None
    if kind in TO_STATION and data.get("medic_station_id"):
        who = (User.role == Role.MEDIC) & (User.medic_station_id == data["medic_station_id"])
    elif kind == K.INCIDENT_STEPPED and data.get("status") in TPS_HEARS_INCIDENT_STEPS and data.get("tps_id"):
        who = (User.role == Role.FIELD_OFFICER) & (User.tps_id == data["tps_id"])
    elif kind == K.DELIVERY_ARRIVED and data.get("tps_id"):
        who = (User.role == Role.FIELD_OFFICER) & (User.tps_id == data["tps_id"])
    elif kind == K.ROUTE_CHANGED and data.get("courier_id"):
        who = (User.role == Role.COURIER) & (User.person_id == data["courier_id"])
    elif kind in (K.BELOW_QUORUM, K.DELIVERY_NOT_COMING) or (
            kind == K.ALERT_RAISED and data.get("alert") in CRITICAL_ALERTS):
        who = _coordinators_of(event.kecamatan_id)
    if who is None:
        return []
    return list(session.scalars(select(User.id).where(who, User.active.is_(True)).order_by(User.id)))


def _coordinators_of(kecamatan_id: int | None):
    """The coordinators whose area holds the kecamatan: its own, its kab/kota's, its province's and the
    nation's (no area); an event of no kecamatan, the nation's only."""
    coordinators = User.role == Role.COORDINATOR
    nation = and_(User.kecamatan_id.is_(None), User.kota_id.is_(None), User.provinsi_kode.is_(None))
    if kecamatan_id is None:
        return coordinators & nation
    kota = select(Kecamatan.kota_id).where(Kecamatan.id == kecamatan_id).scalar_subquery()
    province = select(func.substr(Kecamatan.kode_kemendagri, 1, 2)).where(Kecamatan.id == kecamatan_id).scalar_subquery()
    return coordinators & or_(nation, User.kecamatan_id == kecamatan_id, User.kota_id == kota,
                              User.provinsi_kode == province)
