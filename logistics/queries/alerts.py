"""The coordinators' alert list: every alert source in one list, most urgent first.

An alert source is a function `(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]`
registered with `@alert_source`; the dashboard and the API call `collect_alerts`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import AuditEntry, Kelurahan, Role, Tps, User
from logistics.rules.fatigue import FatigueLevel, fatigue_level, hours_on_duty

# Lower is more urgent.
SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class Alert:
    kind: str  # e.g. fatigue_escalation, meal_late, tps_not_open
    severity: str  # a SEVERITY key
    since: datetime  # when the condition began (aware UTC)
    message_id: str  # Bahasa Indonesia
    message_en: str
    kecamatan_id: int | None = None
    tps_id: int | None = None
    refs: dict = field(default_factory=dict)  # ids of related records (delivery_id, incident_id, ...)

    def sort_key(self):
        return (SEVERITY[self.severity], self.since)


AlertSource = Callable[[Session, datetime, datetime, datetime, "Iterable[int] | None"], list[Alert]]
_SOURCES: list[AlertSource] = []


def alert_source(fn: AlertSource) -> AlertSource:
    _SOURCES.append(fn)
    return fn


def collect_alerts(session: Session, now: datetime, day_start: datetime, day_end: datetime,
                   kecamatan_ids: Iterable[int] | None = None) -> list[Alert]:
    scope = None if kecamatan_ids is None else list(kecamatan_ids)
    alerts = [a for source in _SOURCES for a in source(session, now, day_start, day_end, scope)]
    return sorted(alerts, key=Alert.sort_key)


def first_posts(session: Session, day_start: datetime, day_end: datetime,
                kecamatan_ids: Iterable[int] | None = None) -> dict[int, datetime]:
    """{tps_id: time of the first post of the day by that TPS's own officers}."""
    query = (select(User.tps_id, func.min(AuditEntry.at))
             .join(User, AuditEntry.actor_id == User.id)
             .where(User.role == Role.FIELD_OFFICER, User.tps_id.is_not(None),
                    AuditEntry.at >= day_start, AuditEntry.at < day_end)
             .group_by(User.tps_id))
    if kecamatan_ids is not None:
        query = query.join(Tps, Tps.id == User.tps_id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id) \
            .where(Kelurahan.kecamatan_id.in_(list(kecamatan_ids)))
    return {tps_id: at for tps_id, at in session.execute(query)}


@alert_source
def fatigue_alerts(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]:
    """Officers on duty 16 hours (alert) or 20 hours (escalation) since their TPS's first post."""
    first = first_posts(session, day_start, now, kecamatan_ids)
    if not first:
        return []
    alerts = []
    rows = session.execute(select(Tps.id, Tps.number, Tps.handed_over_at, Kelurahan.kecamatan_id, Kelurahan.nama)
                           .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id).where(Tps.id.in_(list(first))))
    for tps_id, number, handed_over_at, kecamatan_id, kelurahan in rows:
        on_duty = hours_on_duty(first[tps_id], now, handed_over_at)
        level = fatigue_level(on_duty)
        if level == FatigueLevel.OK:
            continue
        hours = int(on_duty.total_seconds() // 3600)
        escalated = level == FatigueLevel.ESCALATION
        alerts.append(Alert(
            kind=f"fatigue_{level.value}", severity="critical" if escalated else "high",
            since=first[tps_id], kecamatan_id=kecamatan_id, tps_id=tps_id,
            message_id=f"Petugas TPS {number:03d} {kelurahan} sudah {hours} jam bertugas"
                       + (" — kirim tenaga kesehatan dan atur pengganti." if escalated else "."),
            message_en=f"Officers of TPS {number:03d} {kelurahan} have been on duty {hours} hours"
                       + (" — send a medic and arrange relief." if escalated else "."),
        ))
    return alerts
