"""Officer fatigue alerts: 16 hours on duty since the TPS's first post (alert), 20 hours (escalation)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import AuditEntry, Kelurahan, Role, Tps, User
from logistics.queries.alerts import Alert, alert_source
from logistics.rules.fatigue import FatigueLevel, fatigue_level, hours_on_duty
from logistics.settings import settings_for


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
    alerts, settings = [], settings_for(session)
    rows = session.execute(select(Tps.id, Tps.number, Tps.handed_over_at, Kelurahan.kecamatan_id, Kelurahan.nama)
                           .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id).where(Tps.id.in_(list(first))))
    for tps_id, number, handed_over_at, kecamatan_id, kelurahan in rows:
        on_duty = hours_on_duty(first[tps_id], now, handed_over_at)
        level = fatigue_level(on_duty, settings.fatigue_alert, settings.fatigue_escalate)
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
