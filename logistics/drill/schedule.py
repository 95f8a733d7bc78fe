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
LATE_MEAL_SHARE = 0.10
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
    # The courier's round it is a stop of (courier id, meal round) and its place on the tour (`route_seq`);
    # None: no courier planned (the command post steps in, stop by stop).
    route: tuple[int, str] | None = None
    route_seq: int | None = None


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
    unconfirmed = meals[len(meals) // 3].id if meals else None
    no_show = meals[(2 * len(meals)) // 3].id if len(meals) > 2 else None
    leaves: dict[int, timedelta] = {}  # when each meal would leave the kitchen on its own
    for m in meals:
        if m.id == no_show:
            leaves[m.id] = m.planned - timedelta(minutes=40)
            add(m.planned + timedelta(minutes=60), "fail", m.id, reason="Kendaraan kurir mogok (gladi)")
            continue
        late = rng.random() < LATE_MEAL_SHARE
        arrived = m.planned + (_minutes(rng, 35, 70) if late else _minutes(rng, -15, 15))
        leaves[m.id] = arrived - _minutes(rng, 15, 40)
        add(arrived, "arrive", m.id)
        short = rng.random() < SHORT_MEAL_SHARE
        quantity = max(0, m.quantity - rng.randint(1, 3)) if short else m.quantity
        wait = timedelta(minutes=45) if m.id == unconfirmed else _minutes(rng, 2, 10)
        add(arrived + wait, "receive", m.id, quantity=quantity)
    # A courier leaves with the whole round, before the first of its stops would have left on its own, and
    # sets off to its stops in the tour's order (its page's order); each stop dispatched at its own moment
    # set them off out of order.
    routes: dict[object, list[DrillMeal]] = {}
    for m in meals:
        routes.setdefault(m.route if m.route is not None else ("stop", m.id), []).append(m)
    for stops in routes.values():
        leave = min(leaves[m.id] for m in stops)
        for m in sorted(stops, key=lambda m: (m.route_seq is None, m.route_seq or 0, m.id)):
            add(leave, "dispatch", m.id)

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
