"""The `sms` channel, and the replies to SMS commands: what the worker hands to the SMS gateway.

Notices go out by SMS only for the critical events, and only to people who would otherwise not hear:
- a merah reported at, reassigned to or reopened at a medic station: the station's own phone
  (`MedicStation.contact_phone`) and its medics;
- a merah without response (the worker's alert): the kecamatan's and the city's coordinators;
- a delivery not coming: the TPS's ketua (the KPPS_KETUA person of the TPS) and the coordinators.
Whoever made the change (the event's `by_user`, `by_person`) is never sent a notice of it: a ketua who
texted MAKAN TIDAK, a coordinator who marked it on the dashboard.
A person is sent an SMS when they have a phone number (their person record's, or their account's own
`User.phone`: coordinators) and no push subscription of their current login
(siaga/worker/webpush.py would reach them); a station's phone is always sent to. The recipient is the
number in one form (+62…): the outbox's ledger sends each (event, number) once, and retries a failed one
(siaga/worker/outbox.py); the gateway message id is derived from (event, number), so a send repeated after
the worker died between sending and recording is refused by the gateway as a duplicate (409) and counted
as sent. At most NOTICE_LIMIT notices per number per NOTICE_WINDOW: past that a send
fails and is retried later by the outbox (and ends failed if the number stays that busy). The text names
the TPS (its code is public), the triage and what to do; never a patient, a complaint or a name.

Replies to commands (logistics/services/sms_inbound.py queues them) are sent by `send_queued_replies`
(the `send_sms_replies` job): each claimed by a conditional UPDATE before it is sent, tried up to
MAX_ATTEMPTS times. The gateway's status callbacks (siaga/sms/web.py) then move each row on.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from logistics.events import TO_STATION, EventKind
from logistics.models import (
    DeliveryKind, MealRound, MedicStation, OutboxEvent, Person, PersonRole, PushSubscription, SmsOutbound, Tps, User,
)
from logistics.models.enums import Triage
from logistics.queries.audience import audience
from logistics.rules.phones import normalise_phone
from logistics.rules.sms_commands import fit_sms
from logistics.texts import lazy_gettext
from logistics.timeutil import utcnow
from siaga.sms.gateway import SmsGateway, gateway_for
from siaga.worker.channels import register

log = logging.getLogger("siaga.worker.sms")
K = EventKind
NOTICE_LIMIT = 10
NOTICE_WINDOW = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(seconds=5)

_MERAH = lazy_gettext("SIAGA: kejadian MERAH di {tps} ({code}). Segera kirim tenaga kesehatan; buka Siaga bila "
                      "ada data.")
_MERAH_WAITING = lazy_gettext("SIAGA: kejadian MERAH di {tps} ({code}) belum ditangani. Hubungi pos kesehatan "
                              "sekarang.")
_NOT_COMING = lazy_gettext("SIAGA: {meal} untuk {tps} ({code}) tidak datang. Hubungi vendor atau koordinator "
                           "kecamatan.")
_DRILL = lazy_gettext("LATIHAN. {text}")


def critical(event: OutboxEvent) -> bool:
    """The events worth an SMS."""
    data = event.data or {}
    if event.kind in TO_STATION:
        return data.get("triage") == Triage.MERAH.value
    if event.kind == K.ALERT_RAISED.value:
        return data.get("alert") == "merah_no_response"
    return event.kind == K.DELIVERY_NOT_COMING.value


def notice_text(session: Session, event: OutboxEvent) -> str:
    data = event.data or {}
    tps = session.get(Tps, data.get("tps_id")) if data.get("tps_id") else None
    where = {"tps": tps.label if tps else "-", "code": tps.code if tps else "-"}
    if event.kind == K.ALERT_RAISED.value:
        text = str(_MERAH_WAITING).format(**where)
    elif event.kind == K.DELIVERY_NOT_COMING.value:
        meal = _meal_name(data)
        text = str(_NOT_COMING).format(meal=meal, **where)
    else:
        text = str(_MERAH).format(**where)
    if data.get("drill"):
        text = str(_DRILL).format(text=text)
    return fit_sms(text)


def _meal_name(data: dict) -> str:
    if data.get("kind") == DeliveryKind.MEAL.value and data.get("meal_round"):
        try:
            return str(MealRound(data["meal_round"]).label)
        except ValueError:
            pass
    return data.get("item") or str(DeliveryKind(data.get("kind") or "meal").label)


class SmsChannel:
    name = "sms"

    def __init__(self, gateway: SmsGateway):
        self.gateway = gateway

    def recipients(self, session: Session, event: OutboxEvent) -> list[str]:
        if not critical(event):
            return []
        data = event.data or {}
        numbers: list[str | None] = []
        if event.kind in TO_STATION and data.get("medic_station_id"):
            numbers.append(session.scalar(select(MedicStation.contact_phone)
                                          .where(MedicStation.id == data["medic_station_id"])))
        people = list(audience(session, event))
        if event.kind == K.DELIVERY_NOT_COMING.value and data.get("tps_id"):
            ketua = select(Person.id).where(Person.tps_id == data["tps_id"], Person.role == PersonRole.KPPS_KETUA,
                                            Person.active.is_(True))
            numbers += _unpushed_phones(session, person_ids=list(session.scalars(ketua)))
        numbers += _unpushed_phones(session, user_ids=people)
        numbers += _unpushed_account_phones(session, people)
        found, own = [], _actors_numbers(session, data)
        for number in numbers:
            number = normalise_phone(number)
            if number and number not in found and number not in own:
                found.append(number)
        return found

    def send(self, session: Session, event: OutboxEvent, number: str) -> None:
        recent = session.scalar(select(func.count()).select_from(SmsOutbound).where(
            SmsOutbound.phone == number, SmsOutbound.event_id.is_not(None),
            SmsOutbound.created_at > utcnow() - NOTICE_WINDOW)) or 0
        if recent >= NOTICE_LIMIT:
            raise RuntimeError("too many notices to this number just now; retried later")
        text = notice_text(session, event)
        gateway_id = f"siaga-e{event.id}-{hashlib.sha256(number.encode()).hexdigest()[:12]}"
        sent = self.gateway.send(number, text, message_id=gateway_id)
        row = session.scalar(select(SmsOutbound).where(SmsOutbound.gateway_id == sent.gateway_id))
        if row is None:
            session.add(SmsOutbound(gateway_id=sent.gateway_id, phone=number, text=text, event_id=event.id,
                                    status="pending", attempts=1, created_at=utcnow(), status_at=utcnow()))
        else:  # sent again after a worker died between sending and recording
            row.attempts += 1
        session.flush()  # committed with the delivery's record (siaga/worker/outbox.py)

    def drop(self, session: Session, recipient: str) -> None:
        pass  # a number is never Gone: a failed SMS is retried


def _actors_numbers(session: Session, data: dict) -> set[str]:
    """The numbers of whoever made the change (the event's `by_user` / `by_person`): nobody is sent a notice of
    their own step (a ketua who texted MAKAN TIDAK is not told the meal is not coming)."""
    user_id, person_id = data.get("by_user"), data.get("by_person")
    numbers: set[str | None] = set()
    if user_id:
        numbers.add(session.scalar(select(User.phone).where(User.id == user_id)))
        person_id = person_id or session.scalar(select(User.person_id).where(User.id == user_id))
    if person_id:
        numbers.add(session.scalar(select(Person.phone_e164).where(Person.id == person_id)))
    return {n for n in numbers if n}


def _unpushed_phones(session: Session, *, user_ids: list[int] | None = None,
                     person_ids: list[int] | None = None) -> list[str]:
    """The phones of these people (by account or person) who have no push subscription of their current login
    (an account-less person has none)."""
    subscribed = select(PushSubscription.id).join(User, PushSubscription.of_current_login(User)).where(
        User.person_id == Person.id, User.active.is_(True)).exists()
    query = select(Person.phone_e164).where(Person.phone_e164.is_not(None), Person.active.is_(True), ~subscribed)
    if user_ids is not None:
        if not user_ids:
            return []
        query = query.where(Person.id.in_(select(User.person_id).where(User.id.in_(user_ids))))
    if person_ids is not None:
        if not person_ids:
            return []
        query = query.where(Person.id.in_(person_ids))
    return list(session.scalars(query.order_by(Person.id)))


def _unpushed_account_phones(session: Session, user_ids: list[int]) -> list[str]:
    """The accounts' own phones (coordinators: no person record), where the account has no push subscription
    of its current login."""
    if not user_ids:
        return []
    subscribed = select(PushSubscription.id).where(PushSubscription.of_current_login(User)).exists()
    return list(session.scalars(select(User.phone).where(User.id.in_(user_ids), User.phone.is_not(None),
                                                         User.active.is_(True), ~subscribed).order_by(User.id)))


def send_queued_replies(session: Session, gateway: SmsGateway, *, batch: int = 50) -> int:
    """Hand the queued replies to the gateway; how many went."""
    now, sent = utcnow(), 0
    rows = session.execute(select(SmsOutbound.id, SmsOutbound.attempts).where(
        SmsOutbound.status == "queued", SmsOutbound.attempts < MAX_ATTEMPTS,
        (SmsOutbound.status_at.is_(None)) | (SmsOutbound.status_at <= now - RETRY_AFTER))
        .order_by(SmsOutbound.id).limit(batch)).all()
    session.rollback()
    for row_id, attempts in rows:
        taken = session.execute(update(SmsOutbound).where(
            SmsOutbound.id == row_id, SmsOutbound.status == "queued", SmsOutbound.attempts == attempts)
            .values(status="sending", attempts=attempts + 1, status_at=utcnow())).rowcount
        session.commit()  # claimed before sending: a second worker skips it
        if taken != 1:
            continue
        row = session.get(SmsOutbound, row_id)
        try:
            result = gateway.send(row.phone, row.text, message_id=f"siaga-r{row.id}")
        except Exception as exc:  # noqa: BLE001 - retried on a later run
            log.warning("SMS reply %s failed: %s", row_id, exc)
            row.status, row.reason = ("queued" if row.attempts < MAX_ATTEMPTS else "failed"), str(exc)[:200]
        else:
            row.status, row.gateway_id, sent = "pending", result.gateway_id, sent + 1
        row.status_at = utcnow()
        session.commit()
    return sent


@register
def sms_channel(app: Flask) -> SmsChannel | None:
    gateway = gateway_for(app)
    return SmsChannel(gateway) if gateway is not None else None
