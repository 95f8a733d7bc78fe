"""SMS through the gateway (siaga/sms/): each message received, and each we handed to the gateway.

`SmsInbound.message_id` is the gateway's id of the SMS, unique: the same SMS delivered again (the gateway
retries its webhook) finds its row and changes nothing. `SmsOutbound` is a reply (`inbound_id`) or an
event's notice (`event_id`); `status` follows the gateway: queued (a reply waiting for the worker),
pending (the gateway took it), sent, delivered, failed. Phone numbers are personal data: for the operator's
page (/admin/sms) and the audit only.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from logistics.models.base import Base, UTCDateTime
from logistics.timeutil import utcnow

MESSAGE_ID_MAX = 64
PHONE_MAX = 32
TEXT_MAX = 480      # three concatenated SMS: a longer text is kept cut
RESULT_MAX = 24


class SmsInbound(Base):
    __tablename__ = "sms_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(MESSAGE_ID_MAX), unique=True)
    phone: Mapped[str] = mapped_column(String(PHONE_MAX), index=True)
    text: Mapped[str] = mapped_column(String(TEXT_MAX))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    # stored | refused | invalid | help | unknown_number | ambiguous
    result: Mapped[str] = mapped_column(String(RESULT_MAX))
    reply: Mapped[str | None] = mapped_column(String(200))


class SmsOutbound(Base):
    __tablename__ = "sms_outbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_id: Mapped[str | None] = mapped_column(String(MESSAGE_ID_MAX), unique=True)
    phone: Mapped[str] = mapped_column(String(PHONE_MAX), index=True)
    text: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[int | None] = mapped_column(Integer, index=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("sms_inbound.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    inbound: Mapped[SmsInbound | None] = relationship()
