"""The operator's view of SMS (/admin/sms): the latest conversations, what failed, who texted unknown."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from logistics.models import AuditEntry, SmsInbound, SmsOutbound, User

LATEST = 100


@dataclass(frozen=True)
class SmsLog:
    inbound: list  # (SmsInbound, username | None)
    failures: list[SmsOutbound]
    unknown: list  # (phone, count, last received_at)
    counts: dict[str, int]
    audit: dict  # SmsInbound.message_id -> the audit entries its change wrote (action, entity_type, entity_id)


def sms_log(session: Session, *, limit: int = LATEST) -> SmsLog:
    inbound = session.execute(select(SmsInbound, User.username).outerjoin(User, User.id == SmsInbound.user_id)
                              .order_by(SmsInbound.id.desc()).limit(limit)).all()
    failures = session.scalars(select(SmsOutbound).where(or_(
        SmsOutbound.status == "failed", (SmsOutbound.status == "queued") & (SmsOutbound.attempts > 0)))
        .order_by(SmsOutbound.id.desc()).limit(limit)).all()
    unknown = session.execute(select(SmsInbound.phone, func.count(), func.max(SmsInbound.received_at))
                              .where(SmsInbound.result == "unknown_number").group_by(SmsInbound.phone)
                              .order_by(func.max(SmsInbound.received_at).desc()).limit(limit)).all()
    counts = dict(session.execute(select(SmsInbound.result, func.count()).group_by(SmsInbound.result)).all())
    return SmsLog(list(inbound), list(failures), [tuple(r) for r in unknown], counts, _audit(session, inbound))


def _audit(session: Session, inbound: list) -> dict:
    """The audit entries of the stored SMS shown: their accounts' entries since the oldest, kept where they
    name the SMS (the unit of work's `via`, logistics/services/unit_of_work.py)."""
    stored = [m for m, _user in inbound if m.result == "stored" and m.user_id is not None]
    if not stored:
        return {}
    found: dict[str, list] = {}
    for action, entity_type, entity_id, after in session.execute(
            select(AuditEntry.action, AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.after).where(
                AuditEntry.actor_id.in_({m.user_id for m in stored}),
                AuditEntry.at >= min(m.received_at for m in stored)).order_by(AuditEntry.id)):
        if isinstance(after, dict) and after.get("sms"):
            found.setdefault(after["sms"], []).append((action, entity_type, entity_id))
    return found


def when(moment: datetime | None, zone=None) -> str:
    from logistics.rules.time_zones import WIB
    from logistics.timeutil import to_local

    return to_local(moment, zone or WIB).strftime("%d/%m %H:%M") if moment else ""
