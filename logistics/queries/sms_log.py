"""The operator's view of SMS (/admin/sms): the latest conversations, what failed, who texted unknown."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from logistics.models import SmsInbound, SmsOutbound, User

LATEST = 100


@dataclass(frozen=True)
class SmsLog:
    inbound: list  # (SmsInbound, username | None)
    failures: list[SmsOutbound]
    unknown: list  # (phone, count, last received_at)
    counts: dict[str, int]


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
    return SmsLog(list(inbound), list(failures), [tuple(r) for r in unknown], counts)


def when(moment: datetime | None, zone=None) -> str:
    from logistics.rules.time_zones import WIB
    from logistics.timeutil import to_local

    return to_local(moment, zone or WIB).strftime("%d/%m %H:%M") if moment else ""
