"""Play a drill against the database, and wipe it afterwards.

Marking: the drill claims the day it plays. At the start every TPS still in setup and every meal
delivery of the day still planned gets `drill = true` (in scope); anything that then happens to
them, whoever posts it (the drill or a trainee on a phone), is part of the drill, and an incident
reported at a drill TPS is a drill incident (`report_incident`). `wipe_drill` puts claimed TPS and
deliveries back to their pre-drill state (setup / planned, step fields cleared, routes re-estimated)
and deletes drill incidents. The audit trail is append-only (a database trigger): the drill's
entries stay, recognisable by their actor label (`gladi:...`), and the wipe adds one `drill.wiped`
entry with what it reset.

With a `texter` (the worker gives one where SMS_GATEWAY=fake, siaga/sms/fake_gateway.py `text_app`), the
officers of a few drill TPS (DRILL_SMS_TPS: those with an officer account whose person has a phone) report
by SMS instead: each of their events is written as the command card's SMS (logistics/rules/sms_commands.py
`compose`) and posted as the gateway's signed webhook, so the demo shows SMS in and out.

A drill never runs on a day with real records: TPS past setup, deliveries of the day past planned or
incidents of the day that are not drill records make `start` refuse (`DrillRefused`).
"""
from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.drill.schedule import DrillEvent, DrillMeal, DrillTps, DrillWorld, drill_schedule
from logistics.errors import DomainError
from logistics.models import (
    Delivery, DeliveryKind, DeliveryStatus, DrillClock, HealthFacility, HealthIncident, Kelurahan, Person,
    Role, Tps, TpsCoverage, TpsStatus, User,
)
from logistics.rules.sms_commands import compose
from logistics.services import drills
from logistics.services.unit_of_work import UnitOfWork, in_unit_of_work
from logistics.services.deliveries import advance_delivery
from logistics.services.routes import planned_round
from logistics.services.incidents import advance_incident, report_incident
from logistics.services.tps_status import advance_tps_status, report_officers_present
from logistics.queries.zones import day_window
from logistics.timeutil import as_utc, utcnow

DATABASE_PATIENCE = timedelta(minutes=2)  # a database down longer than this ends the drill
DRILL_SMS_TPS = 3  # TPS whose officers report by SMS in a drill with a texter
# texter(phone, text, message_id): the SMS as the gateway would post it (committed by its own request).
Texter = Callable[[str, str, str], None]
LABEL = "gladi"  # every drill actor's label starts with it (the audit trail's drill mark)


def drill_key(drill: DrillClock) -> str:
    """What tells a drill from any other, wiped ones too: its id and when it started (SQLite gives a new drill
    the id of the wiped one before it, as `drill --wipe` deletes every drill clock). The player kept between the
    worker's ticks and the drill's SMS (their message ids, which the SMS webhook stores once) go by it."""
    return f"{drill.id}-{as_utc(drill.started_at):%Y%m%dT%H%M%S%f}"


class DrillRefused(Exception):
    """The database holds real election-day records (or a drill not wiped): no drill on it."""


@dataclass
class DrillReport:
    events: int = 0  # events in the schedule
    applied: int = 0
    skipped: list[str] = field(default_factory=list)  # refused by a rule (e.g. a trainee posted first)
    stopped_early: bool = False


def _scope_tps(kecamatan_ids: Iterable[int] | None, tps_limit: int | None):
    query = select(Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id).order_by(Tps.code)
    if kecamatan_ids is not None:
        query = query.where(Kelurahan.kecamatan_id.in_(list(kecamatan_ids)))
    if tps_limit is not None:
        query = query.limit(tps_limit)
    return query


def real_records(session: Session, day: date) -> list[str]:
    """What makes this day not a drill's: descriptions of real (non-drill) records, empty if none."""
    start, end = day_window(session, day)
    found = []
    tps = session.scalar(select(func.count()).select_from(Tps).where(
        Tps.drill.is_(False), Tps.status != TpsStatus.SETUP))
    if tps:
        found.append(f"{tps} TPS sudah melapor status / TPS have posted a status")
    deliveries = session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.drill.is_(False), Delivery.status != DeliveryStatus.PLANNED,
        Delivery.planned_at >= start, Delivery.planned_at < end))
    if deliveries:
        found.append(f"{deliveries} pengiriman hari itu sudah bergerak / deliveries of the day have moved")
    incidents = session.scalar(select(func.count()).select_from(HealthIncident).where(
        HealthIncident.drill.is_(False), HealthIncident.reported_at >= start, HealthIncident.reported_at < end))
    if incidents:
        found.append(f"{incidents} kejadian kesehatan nyata hari itu / real incidents that day")
    return found


def leftover_drill(session: Session) -> bool:
    """Records a previous drill moved and nobody wiped."""
    return bool(session.scalar(select(func.count()).select_from(Tps).where(Tps.drill.is_(True)))
                or session.scalar(select(func.count()).select_from(Delivery).where(Delivery.drill.is_(True)))
                or session.scalar(select(func.count()).select_from(HealthIncident)
                                  .where(HealthIncident.drill.is_(True))))


@in_unit_of_work
def claim_day(session: Session, day: date, kecamatan_ids: Iterable[int] | None = None,
              tps_limit: int | None = None) -> DrillWorld:
    """Refuse a day with real records; mark the day's TPS and meal deliveries as the drill's and
    return them as the schedule's world. Commits."""
    problems = real_records(session, day)
    if problems:
        raise DrillRefused("Gladi ditolak: database berisi data hari-H yang nyata / refused: real election-day "
                           "records: " + "; ".join(problems))
    if leftover_drill(session):
        raise DrillRefused("Sisa gladi sebelumnya belum dihapus: jalankan `flask drill --wipe` / "
                           "a previous drill was not wiped: run `flask drill --wipe`")
    start, end = day_window(session, day)
    tps_ids = session.scalars(_scope_tps(kecamatan_ids, tps_limit)).all()
    meals = session.execute(select(Delivery.id, Delivery.tps_id, Delivery.planned_at, Delivery.quantity_planned).where(
        Delivery.tps_id.in_(tps_ids), Delivery.kind == DeliveryKind.MEAL, Delivery.status == DeliveryStatus.PLANNED,
        Delivery.planned_at >= start, Delivery.planned_at < end)).all()
    drills.claim_drill_day(session, tps_ids, [m.id for m in meals])
    return drill_world(session, day)


def drill_world(session: Session, day: date) -> DrillWorld:
    """The claimed TPS and meal deliveries of `day`, in a fixed order: the schedule is made again from them
    and the seed whenever the drill's player starts (the worker restarted, say), so it is the same day."""
    start, end = day_window(session, day)
    tps = session.execute(select(Tps.id, Tps.code).where(Tps.drill.is_(True)).order_by(Tps.code, Tps.id)).all()
    meals = session.execute(select(Delivery.id, Delivery.tps_id, Delivery.planned_at, Delivery.quantity_planned,
                                   Delivery.courier_id, Delivery.meal_round).where(
        Delivery.drill.is_(True), Delivery.kind == DeliveryKind.MEAL, Delivery.planned_at >= start,
        Delivery.planned_at < end).order_by(Delivery.id)).all()
    # Each courier's round as planned (its tour, legs and release: logistics/services/routes.py `planned_round`),
    # not as its stored order and ETAs stand now: those move as the round is played, the plan does not.
    on_tour: dict[int, dict] = {}  # delivery id -> its DrillMeal's round, place on the tour, leg and release
    routes = {(m.courier_id, m.meal_round) for m in meals if m.courier_id is not None}
    for courier_id, meal_round in sorted(routes, key=lambda r: (r[0], r[1].value)):
        plan = planned_round(session, courier_id, meal_round, day)
        for seq, (stop, leg) in enumerate(zip(plan.stops, plan.legs), start=1):
            on_tour[stop.id] = dict(route=(courier_id, meal_round.value), route_seq=seq, leg=leg,
                                    release=plan.release - start)
    return DrillWorld(
        tps=tuple(DrillTps(t.id, t.code) for t in tps),
        meals=tuple(DrillMeal(m.id, m.tps_id, m.planned_at - start, m.quantity_planned, **on_tour.get(m.id, {}))
                    for m in meals),
        facility_ids=tuple(session.scalars(select(HealthFacility.id).order_by(HealthFacility.id))),
        early_tps=_early_tps(session),
    )


def _early_tps(session: Session) -> int | None:
    """A claimed TPS covered by the station of the first medic login (the demo's `medis`), if any."""
    station = session.scalar(select(User.medic_station_id).where(
        User.role == Role.MEDIC, User.active.is_(True), User.medic_station_id.is_not(None)).order_by(User.id).limit(1))
    if station is None:
        return None
    return session.scalar(select(Tps.id).join(TpsCoverage, TpsCoverage.tps_id == Tps.id).where(
        Tps.drill.is_(True), TpsCoverage.medic_station_id == station).order_by(Tps.code, Tps.id).limit(1))


def _officer(tps_id: int) -> Actor:
    return Actor(role=Role.FIELD_OFFICER, label=f"{LABEL}:petugas-{tps_id}", tps_id=tps_id)


def _courier_or_coordinator(delivery: Delivery) -> Actor:
    if delivery.courier_id is None:  # no courier planned: the command post steps in
        return Actor(role=Role.COORDINATOR, label=f"{LABEL}:koordinator")
    return Actor(role=Role.COURIER, label=f"{LABEL}:kurir-{delivery.courier_id}", person_id=delivery.courier_id)


class _Player:
    """Applies one event through the service a phone would call, as the person who would call it."""

    def __init__(self, session: Session):
        self.session = session
        self.incidents: dict[str, int] = {}

    def __call__(self, event: DrillEvent) -> None:
        getattr(self, event.kind)(event.target, **event.params)

    def officers(self, tps_id, count):
        report_officers_present(self.session, _officer(tps_id), tps_id, count)

    def tps_step(self, tps_id, status):
        advance_tps_status(self.session, _officer(tps_id), tps_id, TpsStatus(status))

    def _delivery(self, delivery_id) -> Delivery:
        return self.session.get(Delivery, delivery_id)

    def dispatch(self, delivery_id):
        d = self._delivery(delivery_id)
        advance_delivery(self.session, _courier_or_coordinator(d), d.id, DeliveryStatus.DISPATCHED)

    def arrive(self, delivery_id):
        d = self._delivery(delivery_id)
        advance_delivery(self.session, _courier_or_coordinator(d), d.id, DeliveryStatus.ARRIVED)

    def receive(self, delivery_id, quantity):
        d = self._delivery(delivery_id)
        advance_delivery(self.session, _officer(d.tps_id), d.id, DeliveryStatus.DELIVERED, quantity_received=quantity,
                         received_by=f"Petugas TPS (gladi) {d.tps.code}")

    def fail(self, delivery_id, reason):
        d = self._delivery(delivery_id)
        advance_delivery(self.session, _officer(d.tps_id), d.id, DeliveryStatus.FAILED, reason=reason)

    def incident(self, key, tps_id, triage, complaint, patient_kind):
        incident = report_incident(self.session, _officer(tps_id), patient_kind=patient_kind, complaint=complaint,
                                   triage=triage, tps_id=tps_id, notes=_incident_note(key))
        self.incidents[key] = incident.id

    def _incident_id(self, key) -> int:
        """The drill's incident `key`, reported by this player or by an earlier one (before a restart)."""
        if key not in self.incidents:
            found = self.session.scalar(select(HealthIncident.id).where(
                HealthIncident.drill.is_(True), HealthIncident.notes == _incident_note(key)))
            if found is None:
                raise KeyError(key)
            self.incidents[key] = found
        return self.incidents[key]

    def care(self, key, status, facility_id=None):
        incident = self.session.get(HealthIncident, self._incident_id(key))
        medic = Actor(role=Role.MEDIC, label=f"{LABEL}:medis-{incident.medic_station_id}",
                      medic_station_id=incident.medic_station_id)
        advance_incident(self.session, medic, incident.id, status, referral_facility_id=facility_id)


def _incident_note(key: str) -> str:
    return f"Gladi / drill ({key})"


@in_unit_of_work
def start_drill(session: Session, day: date, *, seed: int = 1, speed: float = 30.0, minutes: float | None = None,
                kecamatan_ids: Iterable[int] | None = None, tps_limit: int | None = None,
                clock: Callable[[], datetime] = utcnow) -> DrillClock:
    """Claim the day and record the drill's plan (`drill_clock`): the worker plays it from now
    (`play_drills`), an event at simulated time t at start + (t - 05:00) / speed, until the day ends or
    `minutes` of wall-clock time have passed. Commits."""
    if speed <= 0:
        raise ValueError("speed must be positive")
    claim_day(session, day, kecamatan_ids, tps_limit)
    started = clock()
    return drills.record_drill(session, day, started, speed=speed, seed=seed,
                               stop_at=started + timedelta(minutes=minutes) if minutes is not None else None)


class DrillPlay:
    """A drill being played: its schedule (made again from the claimed records and the seed) and how far
    it got. Each event is one service call and one commit, which records the progress with it: a player
    killed and started again (the worker) goes on from the next event, never plays one twice. It paces
    itself by in-memory copies of the stored clock: reading the stored row after each event's commit
    would reload it, opening a transaction that stays open while the player waits (on SQLite: holding
    the write turn)."""

    def __init__(self, session: Session, drill: DrillClock, texter: Texter | None = None):
        self.session, self.id, self.played, self.stop_at = session, drill.id, drill.played, drill.stop_at
        self.key = drill_key(drill)
        self.texter = texter
        self.by_sms = _sms_officers(session) if texter is not None else {}
        self.pace = DrillClock(day=drill.day, started_at=drill.started_at, speed=drill.speed)
        self.events = drill_schedule(drill_world(session, drill.day), drill.seed)
        self.report = DrillReport(events=len(self.events))
        self.player = _Player(session)
        session.rollback()  # read only: no transaction left open

    def next_due(self) -> datetime | None:
        """When the next event is due; None when the drill has nothing more to play."""
        if self.played >= len(self.events):
            return None
        due = self.pace.wall_time(self.events[self.played].at)
        if self.stop_at is not None and due > self.stop_at:
            self.report.stopped_early = True
            return None
        return due

    def play_due(self, now: datetime, *, log: Callable[[str], None] = lambda message: None,
                 sleep: Callable[[float], None] | None = None, clock: Callable[[], datetime] = utcnow) -> int:
        """Play every event due by `now`; returns how many. With `sleep`, a database that does not answer is
        waited for (DATABASE_PATIENCE); without, the next call tries again."""
        done = 0
        while (due := self.next_due()) is not None and due <= now:
            if not self._play_one(self.events[self.played], log, sleep, clock):
                break
            done += 1
        return done

    def finish(self, now: datetime) -> None:
        drills.finish_drill(self.session, self.id, now)

    def _advance(self) -> None:
        self.played += 1
        drills.record_progress(self.session, self.id, self.played)

    def _play_one(self, event: DrillEvent, log, sleep, clock) -> bool:
        """One event, one commit; an event a rule refuses (a trainee posted that step first) is skipped and
        logged. A database that is restarting or busy does not end the drill (the demo's day would die with
        it): the event is played again once it answers."""
        sms = self._as_sms(event)
        if sms is not None:
            return self._text(event, *sms, log)
        give_up = clock() + DATABASE_PATIENCE
        pause = 0.5
        before = self.played
        while True:
            try:
                try:
                    # The services flush; the event commits once, here, its steps stamped at the moment it was
                    # due (on the drill's clock: logistics/queries/election_clock.py), not when the tick got to it.
                    with UnitOfWork(self.session, happened_at=self.pace.wall_time(event.at)) as uow:
                        self.player(event)
                        self._advance()
                        uow.commit()
                    self.report.applied += 1
                except (DomainError, KeyError) as exc:
                    self.played = before  # rolled back with the event
                    reason = getattr(exc, "message", exc)
                    self.report.skipped.append(f"{event.kind} {event.target}: {reason}")
                    log(f"lewati / skipped {event.kind} {event.target}: {reason}")
                    self._advance()
                    self.session.commit()
                return True
            except OperationalError as exc:
                self.played = before
                self.session.rollback()
                if sleep is None:
                    return False
                if clock() >= give_up:
                    raise
                log(f"database belum menjawab, diulang / database not answering, retrying {event.kind}: "
                    f"{str(exc.orig).splitlines()[0] if exc.orig else exc}")
                sleep(pause)
                pause = min(pause * 2, 5.0)


    def _as_sms(self, event: DrillEvent) -> tuple[str, str] | None:
        """(phone, text) when this event is one of an SMS-reporting TPS's officers'. Their incidents are
        reported through the form all the same: the drill plays the medics' steps by the incident's key,
        which it finds by the note the report carries, and a texted report carries none (its merah was
        left unanswered all day, the demo medic's first one among them)."""
        if not self.by_sms or event.kind not in ("officers", "tps_step", "receive", "fail"):
            return None
        p = event.params
        if event.kind in ("receive", "fail"):
            tps_id = self.session.scalar(select(Delivery.tps_id).where(Delivery.id == event.target))
        else:
            tps_id = event.target
        if tps_id not in self.by_sms:
            return None
        text = {"officers": lambda: compose("present", count=p.get("count")),
                "tps_step": lambda: compose("step", step=p.get("status")),
                "receive": lambda: compose("meal", meal="received", count=p.get("quantity")),
                "fail": lambda: compose("meal", meal="not_coming")}[event.kind]()
        return self.by_sms[tps_id], text

    def _text(self, event: DrillEvent, phone: str, text: str, log) -> bool:
        """Post the SMS (its own request and commit; the message id makes a replay after a restart a
        duplicate), then count the event played."""
        self.session.rollback()  # no transaction of ours open while the webhook's request writes (SQLite)
        try:
            self.texter(phone, text, f"{LABEL}-{self.key}-{self.played}")
            self.report.applied += 1
            log(f"SMS {phone}: {text}")
        except Exception as exc:  # noqa: BLE001 - the day goes on; the operator sees it in /admin/sms
            self.report.skipped.append(f"{event.kind} {event.target} by SMS: {exc}")
            log(f"SMS tidak terkirim / not sent {event.kind} {event.target}: {exc}")
        self._advance()
        self.session.commit()
        return True


def _sms_officers(session: Session) -> dict[int, str]:
    """Up to DRILL_SMS_TPS drill TPS whose one officer account has a phone of its own: TPS id -> phone."""
    rows = session.execute(select(User.tps_id, Person.phone_e164).join(Person, User.person_id == Person.id)
                           .join(Tps, Tps.id == User.tps_id).where(
        User.role == Role.FIELD_OFFICER, User.active.is_(True), Person.phone_e164.is_not(None), Tps.drill.is_(True))
        .order_by(Tps.code, User.id)).all()
    accounts_per_phone: dict[str, int] = {}
    for _tps, phone in rows:
        accounts_per_phone[phone] = accounts_per_phone.get(phone, 0) + 1
    chosen: dict[int, str] = {}
    for tps_id, phone in rows:
        if accounts_per_phone[phone] == 1 and len(chosen) < DRILL_SMS_TPS:
            chosen.setdefault(tps_id, phone)
    session.rollback()
    return chosen


def run_drill(session: Session, day: date, *, seed: int = 1, speed: float = 30.0, minutes: float | None = None,
              kecamatan_ids: Iterable[int] | None = None, tps_limit: int | None = None,
              clock: Callable[[], datetime] = utcnow, sleep: Callable[[float], None] = _time.sleep,
              log: Callable[[str], None] = lambda message: None) -> DrillReport:
    """Start a drill and play it to its end in this process, sleeping between events (the tests; the
    worker plays drills by `play_drills`)."""
    play = DrillPlay(session, start_drill(session, day, seed=seed, speed=speed, minutes=minutes,
                                          kecamatan_ids=kecamatan_ids, tps_limit=tps_limit, clock=clock))
    while (due := play.next_due()) is not None:
        wait = (due - clock()).total_seconds()
        if wait > 0:
            sleep(wait)
        play.play_due(max(clock(), due), log=log, sleep=sleep, clock=clock)
    play.finish(clock())
    return play.report


def play_drills(session: Session, now: datetime, plays: dict[str, DrillPlay],
                log: Callable[[str], None] = lambda message: None, texter: Texter | None = None) -> int:
    """The worker's tick: play what is due of the drill not yet finished (if any), and mark it finished
    after its last event. `plays` keeps the player between ticks (its schedule is made once). Returns the
    events played."""
    drill = session.scalar(select(DrillClock).where(DrillClock.finished_at.is_(None))
                           .order_by(DrillClock.id.desc()).limit(1))
    key = drill_key(drill) if drill is not None else None  # not the id alone: a wiped drill's may be reused
    if key not in plays:
        plays.clear()  # wiped, finished, or a new drill
    if drill is None:
        session.rollback()
        return 0
    play = plays.get(key)
    if play is None:
        play = plays[key] = DrillPlay(session, drill, texter)
    session.rollback()
    done = play.play_due(now, log=log)
    if play.next_due() is None:
        play.finish(now)
        plays.pop(key, None)
    return done


@in_unit_of_work
def wipe_drill(session: Session, actor: Actor | None = None) -> dict[str, int]:
    """Put the drill's TPS and deliveries back to setup / planned and delete its incidents
    (logistics.services.drills.wipe_drill), as the drill's wipe actor unless one is given. Commits."""
    return drills.wipe_drill(session, actor or Actor.system(f"{LABEL}:wipe"))
