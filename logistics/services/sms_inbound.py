"""An SMS command from a field phone: who sent it, what it asks, the same service a form calls, and the reply.

The sender is the account whose person (`User.person` → `Person.phone_e164`), or whose own `User.phone`, has the
sender's number, in any way either is written (logistics/rules/phones.py `normalise_phone`); several accounts on one number
(one officer for several TPS) choose with `TPS <number>`. The change is made by the same service function,
as that account (`Actor.from_user`): the same permission, audit entry and event as the form. The SMS is
stored once (`SmsInbound.message_id` unique: the caller commits it with the change, so a second delivery
of the same SMS finds it, or loses the race on the unique key with its change rolled back) and answered
once: the reply is queued as an `SmsOutbound` row the worker hands to the gateway (siaga/worker/sms.py).

An unknown number changes nothing and gets one polite reply a day; replies to one number are limited to
REPLY_LIMIT per REPLY_WINDOW (the change is still made; the reply is kept for the operator).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import DomainError
from logistics.models import Delivery, DeliveryKind, DeliveryStatus, Person, Role, SmsInbound, SmsOutbound, Tps, User
from logistics.models.sms import PHONE_MAX, TEXT_MAX
from logistics.rules.phones import normalise_phone
from logistics.rules.sms_commands import Command, Problem, fit_sms, parse
from logistics.services import deliveries, incidents, tps_status
from logistics.texts import lazy_gettext
from logistics.timeutil import utcnow

REPLY_LIMIT = 5
REPLY_WINDOW = timedelta(minutes=10)
UNKNOWN_REPLY_EVERY = timedelta(hours=24)
# The meal a `MAKAN` command is about: one the courier said arrived first, then the earliest still open.
OPEN_MEAL = (DeliveryStatus.ARRIVED, DeliveryStatus.DISPATCHED, DeliveryStatus.PLANNED)

HELP = lazy_gettext("Perintah: HADIR 6, BUKA, TUTUP, HITUNG SELESAI, SERAH, MAKAN TERIMA 9, MAKAN KURANG 6, "
                    "MAKAN TIDAK, SAKIT MERAH PINGSAN. Banyak TPS: tambah TPS 3.")
UNKNOWN_NUMBER = lazy_gettext("Maaf, nomor ini belum terdaftar di Siaga TPS. Hubungi koordinator kecamatan "
                              "Anda untuk mendaftarkan nomor.")
PROBLEMS = {
    "empty": lazy_gettext("Pesan kosong. Kirim BANTUAN untuk daftar perintah."),
    "unknown": lazy_gettext("Perintah tidak dikenal. Contoh: HADIR 6, BUKA, MAKAN TERIMA 9. Kirim BANTUAN "
                            "untuk daftar perintah."),
    "tps": lazy_gettext("Nomor TPS tidak valid. Contoh: BUKA TPS 3"),
    "count": lazy_gettext("Jumlah tidak terbaca. Tulis angka, contoh: {example}"),
    "meal": lazy_gettext("Tulis MAKAN TERIMA 9, MAKAN KURANG 6 atau MAKAN TIDAK."),
    "triage": lazy_gettext("Tulis warna triase lalu keluhan: SAKIT MERAH PINGSAN (MERAH, KUNING, HIJAU, HITAM)."),
    "complaint": lazy_gettext("Tulis keluhannya sesudah warna: SAKIT MERAH PINGSAN"),
}
COUNT_EXAMPLES = {"present": "HADIR 6", "meal_received": "MAKAN TERIMA 9", "meal_short": "MAKAN KURANG 6"}
NOT_AN_OFFICER = lazy_gettext("Perintah SMS hanya untuk petugas TPS. Nomor ini terdaftar untuk peran lain.")
SEVERAL_TPS = lazy_gettext("Nomor ini untuk beberapa TPS ({numbers}). Tambah nomor TPS, contoh: BUKA TPS {first}")
NOT_YOUR_TPS = lazy_gettext("Nomor ini tidak terdaftar untuk TPS {number}. TPS Anda: {numbers}")
NO_MEAL = lazy_gettext("{tps}: tidak ada kiriman makan yang menunggu konfirmasi.")
SHORT_NOT_SHORT = lazy_gettext("MAKAN KURANG harus di bawah {planned} porsi. Bila lengkap: MAKAN TERIMA {planned}")
REFUSED = lazy_gettext("Tidak disimpan: {reason}")
STORED = {
    "present": lazy_gettext("Tercatat {tps}: {count} petugas hadir."),
    "open": lazy_gettext("Tercatat {tps}: TPS dibuka pukul {time}."),
    "close": lazy_gettext("Tercatat {tps}: pemungutan ditutup pukul {time}."),
    "counted": lazy_gettext("Tercatat {tps}: penghitungan selesai pukul {time}."),
    "handed_over": lazy_gettext("Tercatat {tps}: kotak diserahkan ke PPS pukul {time}."),
    "received": lazy_gettext("Tercatat {tps}: {meal} diterima {count} dari {planned} porsi."),
    "not_coming": lazy_gettext("Tercatat {tps}: {meal} tidak datang. Koordinator diberi tahu."),
    "incident": lazy_gettext("Tercatat {tps}: kejadian {triage}, {complaint}. Pos kesehatan diberi tahu."),
}


@dataclass(frozen=True)
class Outcome:
    inbound: SmsInbound | None  # None: this SMS was handled before (nothing changed, no second reply)
    reply: str | None           # queued for the gateway (None: rate-limited, or nothing to say)


def handle_inbound(session: Session, message_id: str, phone: str, text: str, *,
                   now: datetime | None = None) -> Outcome:
    """Act on one received SMS inside the caller's unit of work (which commits it)."""
    if session.scalar(select(SmsInbound.id).where(SmsInbound.message_id == message_id)) is not None:
        return Outcome(None, None)
    now = now or utcnow()
    number = normalise_phone(phone)
    users = accounts_for(session, number) if number else []
    user, result, reply = None, "invalid", None
    if not users:
        result = "unknown_number"  # a number we cannot write to (none, a short code) is not answered
        reply = str(UNKNOWN_NUMBER) if number and not _told_unknown(session, number, now) else None
        number = number or (phone or "").strip()[:PHONE_MAX]
    else:
        command = parse(text)
        if isinstance(command, Problem):
            reply = _problem_text(command)
        elif command.action == "help":
            result, reply = "help", str(HELP)
        else:
            user, refusal = _choose(users, command)
            if refusal is not None:
                result, reply = refusal
            else:
                try:
                    reply = _act(session, Actor.from_user(user), user, command)
                    result = "stored"
                except DomainError as exc:
                    session.rollback()  # the service's partial change; nothing of ours is in the session yet
                    result, reply = "refused", str(REFUSED).format(reason=_reason(exc))
    inbound = SmsInbound(message_id=message_id, phone=number, text=(text or "")[:TEXT_MAX], received_at=now,
                         user_id=user.id if user else None, result=result,
                         reply=fit_sms(reply) if reply else None)
    session.add(inbound)
    queued = None
    if inbound.reply and _replies_recently(session, number, now) < REPLY_LIMIT:
        queued = inbound.reply
        session.add(SmsOutbound(phone=number, text=queued, inbound=inbound, status="queued", attempts=0,
                                created_at=now))
    session.flush()
    return Outcome(inbound, queued)


def accounts_for(session: Session, number: str) -> list[User]:
    """The active accounts whose person, or whose own account, has this number (`number` in the one form
    of logistics/rules/phones.py; both columns are stored in it and indexed: equality, no scan)."""
    return list(session.scalars(select(User).where(
        or_(User.person_id.in_(select(Person.id).where(Person.phone_e164 == number)), User.phone == number),
        User.active.is_(True)).order_by(User.id)))


def _choose(users: list[User], command: Command) -> tuple[User | None, tuple[str, str] | None]:
    """The officer account this command is for, or (None, (result, why not))."""
    officers = [u for u in users if u.role == Role.FIELD_OFFICER and u.tps_id is not None]
    if not officers:
        return None, ("refused", str(NOT_AN_OFFICER))
    numbers = ", ".join(str(u.tps.number) for u in officers)
    if command.tps_number is not None:
        chosen = [u for u in officers if u.tps.number == command.tps_number]
        if not chosen:
            return None, ("refused", str(NOT_YOUR_TPS).format(number=command.tps_number, numbers=numbers))
        officers = chosen
    if len(officers) > 1:
        return None, ("ambiguous", str(SEVERAL_TPS).format(numbers=numbers, first=officers[0].tps.number))
    return officers[0], None


def _act(session: Session, actor: Actor, user: User, command: Command) -> str:
    tps = user.tps
    label = _where(tps)
    if command.action == "present":
        tps_status.report_officers_present(session, actor, tps.id, command.count)
        return str(STORED["present"]).format(tps=label, count=command.count)
    if command.tps_step is not None:
        done = tps_status.advance_tps_status(session, actor, tps.id, command.tps_step)
        return str(STORED[command.action]).format(tps=label, time=_hhmm(done, command.tps_step))
    if command.action == "meal":
        return _meal(session, actor, tps, command)
    incident = incidents.report_incident(session, actor, patient_kind=command.patient_kind.value,
                                         complaint=command.complaint, triage=command.triage.value, tps_id=tps.id)
    return str(STORED["incident"]).format(tps=label, triage=str(incident.triage.label).upper(),
                                          complaint=command.complaint)


def _meal(session: Session, actor: Actor, tps: Tps, command: Command) -> str:
    order = {status: i for i, status in enumerate(OPEN_MEAL)}
    open_meals = session.scalars(select(Delivery).where(
        Delivery.tps_id == tps.id, Delivery.kind == DeliveryKind.MEAL, Delivery.status.in_(OPEN_MEAL))
        .order_by(Delivery.planned_at, Delivery.id)).all()
    if not open_meals:
        return str(NO_MEAL).format(tps=_where(tps))
    meal = min(open_meals, key=lambda d: order[d.status])  # stable: the earliest planned of the most advanced
    name = str(meal.meal_round.label) if meal.meal_round else str(DeliveryKind.MEAL.label)
    if command.meal == "not_coming":
        deliveries.advance_delivery(session, actor, meal.id, DeliveryStatus.FAILED, reason="SMS: MAKAN TIDAK")
        return str(STORED["not_coming"]).format(tps=_where(tps), meal=name)
    if command.meal == "short" and command.count >= meal.quantity_planned:
        return str(SHORT_NOT_SHORT).format(planned=meal.quantity_planned)
    deliveries.advance_delivery(session, actor, meal.id, DeliveryStatus.DELIVERED, quantity_received=command.count,
                                received_by=actor.label)
    return str(STORED["received"]).format(tps=_where(tps), meal=name, count=command.count,
                                          planned=meal.quantity_planned)


def _where(tps: Tps) -> str:
    """The TPS as the reply names it: its number and its code (numbers repeat across kelurahan)."""
    return f"{tps.label} ({tps.code})"


def _hhmm(tps: Tps, step) -> str:
    from logistics.services.tps_status import STEP_TIME_FIELD
    from logistics.timeutil import format_local

    moment = getattr(tps, STEP_TIME_FIELD[step])
    return format_local(moment, "%H:%M", tps.zone) if moment else ""  # 13:03 WIB: the zone, as on every page


def _problem_text(problem: Problem) -> str:
    text = PROBLEMS[problem.code]
    if problem.code == "count":
        return str(text).format(example=COUNT_EXAMPLES.get(problem.action or "", "HADIR 6"))
    return str(text)


def _reason(exc: DomainError) -> str:
    fields = "; ".join(str(v) for v in exc.fields.values())
    return f"{exc.message}. {fields}".strip(" .") if fields else str(exc.message)


def _replies_recently(session: Session, number: str, now: datetime) -> int:
    return session.scalar(select(func.count()).select_from(SmsOutbound).where(
        SmsOutbound.phone == number, SmsOutbound.inbound_id.is_not(None),
        SmsOutbound.created_at > now - REPLY_WINDOW)) or 0


def _told_unknown(session: Session, number: str, now: datetime) -> bool:
    return session.scalar(select(SmsInbound.id).where(
        SmsInbound.phone == number, SmsInbound.result == "unknown_number", SmsInbound.reply.is_not(None),
        SmsInbound.received_at > now - UNKNOWN_REPLY_EVERY).limit(1)) is not None
