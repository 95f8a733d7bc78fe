"""The drill's election day as data: a list of timed events made from a seed, no database.

Times are offsets into the simulated day from its 00:00 local time (the start of
`logistics.queries.zones.day_window`; `logistics.models.drill.DAY_START`, 05:00, is when the drill begins:
officers arriving); the runner maps them to wall-clock time at its speed (`DrillClock`). Same world + same seed = same events.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from logistics.models.enums import IncidentStatus, PatientKind, TpsStatus, Triage

FULL_CREW = 7  # KPPS officers per TPS
# 40 simulated minutes after the drill begins (05:00): 80 s of wall-clock time at the demo's 30x.
EARLY_INCIDENT_AT = timedelta(hours=5, minutes=40)
LATE_OPENING_SHARE = 0.05
LATE_MEAL_SHARE = 0.10  # of couriers' rounds (and of stops sent without a courier): late by design
SHORT_MEAL_SHARE = 0.08
COMPLAINTS = {
    Triage.HIJAU: ("Pusing", "Kelelahan", "Maag kambuh"),
    Triage.KUNING: ("Sesak napas", "Pingsan sebentar", "Tekanan darah tinggi"),
    Triage.MERAH: ("Nyeri dada", "Kejang", "Tidak sadarkan diri"),
    Triage.HITAM: ("Henti jantung",),
}


@dataclass(frozen=True)
class DrillTps:
    id: int
    code: str


@dataclass(frozen=True)
class DrillMeal:
    id: int
    tps_id: int
    planned: timedelta  # planned time as an offset into the day (local)
    quantity: int
    # The courier's round it is a stop of (courier id, meal round), its place on the tour (`route_seq`), the
    # time from leaving the kitchen to reaching it (`leg`) and when the kitchen releases the round (`release`,
    # an offset like `planned`), as the plan has them (logistics/services/routes.py `planned_round`);
    # None: no courier planned (the command post steps in, stop by stop).
    route: tuple[int, str] | None = None
    route_seq: int | None = None
    leg: timedelta | None = None
    release: timedelta | None = None


@dataclass(frozen=True)
class DrillWorld:
    tps: tuple[DrillTps, ...]
    meals: tuple[DrillMeal, ...]
    facility_ids: tuple[int, ...]  # where the medics refer patients
    # A TPS of the station where the first medic login works (the demo's `medis`): its incident comes first
    # (EARLY_INCIDENT_AT), so whoever opens that station's page sees it change within the drill's first minutes.
    early_tps: int | None = None


@dataclass(frozen=True, order=True)
class DrillEvent:
    """One thing that happens. `kind`: officers | tps_step | dispatch | arrive | receive | fail |
    incident | care. `target`: a TPS id, a delivery id, or an incident's key (made by the drill)."""

    at: timedelta
    seq: int  # keeps the order of events at the same time stable
    kind: str = field(compare=False)
    target: int | str = field(compare=False)
    params: dict = field(compare=False, default_factory=dict)


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.uniform(low, high))


def drill_schedule(world: DrillWorld, seed: int) -> list[DrillEvent]:
    """The day's events in time order: officers arriving (one TPS below quorum until replacements
    come), TPS opening (a few late), voting closed, counting, hand-over; meal rounds dispatched,
    arrived and confirmed by the TPS (some late, some short, one not confirmed for long, one not
    coming); incidents of every triage colour with the medics' response, treatment and referrals."""
    rng = random.Random(seed)
    events: list[tuple[timedelta, str, int | str, dict]] = []
    add = lambda at, kind, target, **params: events.append((at, kind, target, params))  # noqa: E731
    tps = sorted(world.tps, key=lambda t: t.code)
    if not tps:
        return []
    n_late = max(2, round(len(tps) * LATE_OPENING_SHARE)) if len(tps) > 2 else 1
    late_openers = set(rng.sample([t.id for t in tps], min(n_late, len(tps))))
    short_crew = rng.choice(tps).id
    for t in tps:
        arrive = timedelta(hours=5, minutes=30) + _minutes(rng, 0, 55)
        if t.id == short_crew:
            add(arrive, "officers", t.id, count=3)  # below quorum: the PPS must send replacements
            add(arrive + timedelta(hours=2), "officers", t.id, count=FULL_CREW)
        else:
            add(arrive, "officers", t.id, count=FULL_CREW if rng.random() > 0.1 else FULL_CREW - 1)
        opened = timedelta(hours=7) + (_minutes(rng, 35, 90) if t.id in late_openers else _minutes(rng, 0, 12))
        add(opened, "tps_step", t.id, status=TpsStatus.OPEN.value)
        add(timedelta(hours=13) + _minutes(rng, 0, 10), "tps_step", t.id, status=TpsStatus.VOTING_CLOSED.value)
        add(timedelta(hours=16) + _minutes(rng, 0, 240), "tps_step", t.id, status=TpsStatus.COUNTED.value)
        add(timedelta(hours=20, minutes=30) + _minutes(rng, 0, 180), "tps_step", t.id,
            status=TpsStatus.HANDED_OVER.value)

    meals = sorted(world.meals, key=lambda m: (m.planned, m.id))
    rounds: dict[object, list[DrillMeal]] = {}  # a courier's round, or a stop sent on its own
    round_of: dict[int, object] = {}
    for m in meals:
        round_of[m.id] = m.route if m.leg is not None else ("stop", m.id)
        rounds.setdefault(round_of[m.id], []).append(m)
    for stops in rounds.values():
        stops.sort(key=lambda m: (m.route_seq or 0, m.id))
    unconfirmed = meals[len(meals) // 3].id if meals else None
    # The one not coming is the last stop of its round: the courier's breakdown holds up no other stop.
    no_show = rounds[round_of[meals[(2 * len(meals)) // 3].id]][-1].id if len(meals) > 2 else None
    by_time: dict[timedelta, list[object]] = {}  # a meal round's rounds: its meals are planned at one time
    for key, stops in rounds.items():
        by_time.setdefault(stops[0].planned, []).append(key)
    late_rounds = {key for keys in by_time.values()  # a few of every meal round's
                   for key in rng.sample(keys, max(1, round(len(keys) * LATE_MEAL_SHARE)))}
    for key, stops in rounds.items():
        late_by = _minutes(rng, 35, 70) if key in late_rounds else None
        if stops[0].leg is None:  # the command post sends it on its own, a little before its time
            arrives = {stops[0].id: stops[0].planned + (-_minutes(rng, 0, 20) if late_by is None else late_by)}
            leave = arrives[stops[0].id] - _minutes(rng, 15, 40)
        else:
            # A courier leaves with the whole round and reaches its stops in the tour's order, a little quicker
            # than the plan's model (logistics/rules/routing.py); on time, the kitchen releases it a little
            # before the plan's release (so the ETAs the dispatch sets stay within the planned times: the
            # "at risk" alert stays quiet), late, so late that its tightest stop is reached `late_by` after
            # its planned time (the ETAs say so as it leaves).
            pace = rng.uniform(0.9, 1.0)
            leave = stops[0].release - _minutes(rng, 5, 15) if late_by is None else \
                min(m.planned - m.leg * pace for m in stops) + late_by
            arrives = {m.id: leave + m.leg * pace for m in stops}
        for m in stops:  # set off in the tour's order (its page's order)
            add(leave, "dispatch", m.id)
        for m in stops:
            if m.id == no_show:
                add(max(m.planned, leave) + timedelta(minutes=60), "fail", m.id, reason="Kendaraan kurir mogok (gladi)")
                continue
            add(arrives[m.id], "arrive", m.id)
            short = rng.random() < SHORT_MEAL_SHARE
            quantity = max(0, m.quantity - rng.randint(1, 3)) if short else m.quantity
            wait = timedelta(minutes=45) if m.id == unconfirmed else _minutes(rng, 2, 10)
            add(arrives[m.id] + wait, "receive", m.id, quantity=quantity)

    n_incidents = max(len(Triage) * 2, len(tps) // 20)
    colours = list(Triage) + [rng.choices(list(Triage), weights=(60, 25, 12, 3))[0]
                              for _ in range(n_incidents - len(Triage))]
    for i, triage in enumerate(colours):
        key = f"insiden-{i}"
        reported = timedelta(hours=6) + _minutes(rng, 0, 17 * 60)
        add(reported, "incident", key, tps_id=rng.choice(tps).id, triage=triage.value,
            complaint=rng.choice(COMPLAINTS[triage]),
            patient_kind=PatientKind.OFFICER.value if rng.random() < 0.7 else PatientKind.VOTER.value)
        # The first merah waits long enough to raise the "no response after 10 minutes" alert.
        response = _minutes(rng, 12, 16) if (triage == Triage.MERAH and i == list(Triage).index(Triage.MERAH)) \
            else _minutes(rng, 2, 9)
        responded = reported + response
        add(responded, "care", key, status=IncidentStatus.RESPONDING.value)
        if triage == Triage.HIJAU or (triage == Triage.KUNING and rng.random() < 0.5):
            add(responded + _minutes(rng, 10, 30), "care", key, status=IncidentStatus.TREATED_ON_SITE.value)
        elif triage != Triage.HITAM and world.facility_ids:
            add(responded + _minutes(rng, 10, 25), "care", key, status=IncidentStatus.REFERRED.value,
                facility_id=rng.choice(world.facility_ids))
        add(responded + _minutes(rng, 40, 120), "care", key, status=IncidentStatus.CLOSED.value)

    if world.early_tps is not None:  # after the seeded ones: the rest of the day is the same with or without it
        key = "insiden-awal"
        add(EARLY_INCIDENT_AT, "incident", key, tps_id=world.early_tps, triage=Triage.MERAH.value,
            complaint=COMPLAINTS[Triage.MERAH][0], patient_kind=PatientKind.OFFICER.value)
        # Left unanswered for 10 simulated minutes (20 s at 30x): the station's page shows it highlighted
        # until then, or until a medic on that page taps the response first (the drill's step is then skipped).
        add(EARLY_INCIDENT_AT + timedelta(minutes=10), "care", key, status=IncidentStatus.RESPONDING.value)
        add(EARLY_INCIDENT_AT + timedelta(minutes=40), "care", key, status=IncidentStatus.TREATED_ON_SITE.value)
        add(EARLY_INCIDENT_AT + timedelta(minutes=90), "care", key, status=IncidentStatus.CLOSED.value)

    events.sort(key=lambda e: e[0])
    return [DrillEvent(at=at, seq=i, kind=kind, target=target, params=params)
            for i, (at, kind, target, params) in enumerate(events)]
