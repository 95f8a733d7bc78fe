"""Rules of the operations issue: risk tier, check-in schedule, routes and ETAs, roster gaps."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from logistics.models import CheckinKind, RiskTier
from logistics.rules.checkins import schedule
from logistics.rules.risk import assess
from logistics.rules.roster import coverage_gaps, on_duty, opening_window
from logistics.rules.routing import (
    DISPATCH_LEAD, Stop, arrival_times, nearest_neighbour_tour, release_time, road_metres, sweep_split,
)
from logistics.timeutil import local_at, to_local

T, S, R = RiskTier.TINGGI, RiskTier.SEDANG, RiskTier.RENDAH


@pytest.mark.parametrize("systolic, diastolic, sugar, age, conditions, tier", [
    (120, 80, 100, 30, (), R),
    (139, 89, 139, 49, (), R),            # just under every threshold
    (140, 80, None, 30, (), S),           # stage 1 systolic
    (120, 90, None, 30, (), S),           # stage 1 diastolic
    (120, 80, 140, 30, (), S),            # elevated sugar
    (120, 80, None, 50, (), S),           # age alone
    (120, 80, None, 30, ("asma",), S),
    (160, 80, None, 30, (), T),           # stage 2 systolic
    (120, 100, None, 30, (), T),          # stage 2 diastolic
    (120, 80, 200, 30, (), T),            # sugar >= 200
    (120, 80, None, 30, ("penyakit_jantung",), T),
    (145, 80, None, 60, (), T),           # age 60 with another factor
    (120, 80, None, 60, (), S),           # age 60 alone
    (145, 80, 150, 40, ("obesitas",), T),  # three medium factors
    (145, 80, 150, 40, (), S),            # two medium factors
])
def test_risk_tier(systolic, diastolic, sugar, age, conditions, tier):
    result = assess(systolic, diastolic, sugar, age, conditions)
    assert result.tier == tier
    assert (result.reasons == ()) == (tier == R)


def test_unknown_condition_is_refused():
    with pytest.raises(ValueError):
        assess(120, 80, None, 30, ("flu",))


def test_checkin_schedule_by_tier():
    day = date(2025, 8, 27)
    high = schedule(T, day)
    assert [to_local(t).strftime("%d %H:%M") for k, t in high if k == CheckinKind.ELECTION_DAY] == \
        ["27 09:00", "27 13:00", "27 17:00", "27 21:00", "28 01:00"]
    assert [to_local(t).day for k, t in high if k == CheckinKind.FOLLOW_UP] == [28, 29, 30, 31, 1, 2, 3]
    assert len(schedule(S, day)) == 2 + 3
    assert [(k, to_local(t).day) for k, t in schedule(R, day)] == [(CheckinKind.FOLLOW_UP, 28)]
    assert high == sorted(high, key=lambda item: item[1])


KITCHEN = Stop("kitchen", -2.10, 106.10)


def test_nearest_neighbour_visits_the_closest_next():
    stops = [Stop("far", -2.10, 106.13), Stop("near", -2.10, 106.101), Stop("mid", -2.10, 106.11)]
    assert [s.key for s in nearest_neighbour_tour(KITCHEN, stops)] == ["near", "mid", "far"]
    assert nearest_neighbour_tour(KITCHEN, []) == []


def test_sweep_split_covers_every_stop_once_in_balanced_groups():
    stops = [Stop(i, -2.1 + 0.01 * ((i * 7) % 5 - 2), 106.1 + 0.01 * ((i * 3) % 7 - 3)) for i in range(20)]
    groups = sweep_split(KITCHEN, stops, 3)
    assert sorted(s.key for g in groups for s in g) == list(range(20))
    assert sorted(len(g) for g in groups) == [6, 7, 7]
    with pytest.raises(ValueError):
        sweep_split(KITCHEN, stops, 0)


def test_a_round_is_released_early_enough_for_its_tour():
    noon = datetime(2025, 8, 27, 5, 0, tzinfo=timezone.utc)
    short = [timedelta(minutes=m) for m in (10, 25, 40)]
    assert release_time([noon] * 3, short) == noon - DISPATCH_LEAD  # an hour ahead is enough
    long = [timedelta(minutes=m) for m in (10, 45, 80)]
    release = release_time([noon] * 3, long)
    assert release == noon - timedelta(minutes=80)  # the far end is reached at its planned time, not 20 min after
    assert all(release + leg <= noon for leg in long)
    # a stop planned later (its time edited) needs no earlier release for itself
    assert release_time([noon, noon, noon + timedelta(minutes=30)], long) == noon - timedelta(minutes=60)


def test_arrival_times_add_travel_and_service():
    one_km_east = Stop("a", -2.10, 106.10 + 1000 / (111_320 * 0.99932))  # ~1 km at this latitude
    two_km_east = Stop("b", -2.10, 106.10 + 2000 / (111_320 * 0.99932))
    depart = datetime(2025, 8, 27, 4, 0, tzinfo=timezone.utc)
    first, second = arrival_times(KITCHEN, [one_km_east, two_km_east], depart, speed_kmh=26, service=timedelta(minutes=5))
    # 1 km straight x 1.3 detour = 1.3 km at 26 km/h = 3 minutes.
    assert road_metres(KITCHEN.lat, KITCHEN.lon, one_km_east.lat, one_km_east.lon) == pytest.approx(1300, rel=0.01)
    assert (first - depart).total_seconds() == pytest.approx(180, abs=3)
    assert (second - first).total_seconds() == pytest.approx(180 + 300, abs=3)
    with pytest.raises(ValueError):
        arrival_times(KITCHEN, [one_km_east], depart, speed_kmh=0)


def test_opening_window_past_midnight():
    start, end = opening_window(date(2025, 8, 27), time(5, 30), time(3, 0))
    assert to_local(start).strftime("%d %H:%M") == "27 05:30" and to_local(end).strftime("%d %H:%M") == "28 03:00"


def test_roster_gaps_and_on_duty():
    day = date(2025, 8, 27)
    window = (local_at(day, time(6)), local_at(day, time(22)))
    shifts = [(local_at(day, time(6)), local_at(day, time(14))), (local_at(day, time(13)), local_at(day, time(18)))]
    assert coverage_gaps(window, shifts) == [(local_at(day, time(18)), local_at(day, time(22)))]
    assert coverage_gaps(window, []) == [window]
    assert coverage_gaps(window, shifts + [(local_at(day, time(18)), local_at(day, time(23)))]) == []
    assert on_duty(shifts, local_at(day, time(13, 30))) and not on_duty(shifts, local_at(day, time(18)))


def test_reasons_name_each_factor_once():
    reasons = assess(151, 81, 157, 60, ("asma",)).reasons
    assert len(reasons) == len(set(reasons))
    assert "Usia 60 tahun dengan faktor risiko lain" in reasons and "Usia 60 tahun" not in reasons
