"""Plain rules: transitions, distances, triage order."""
import pytest

from logistics.models import DeliveryStatus as D, IncidentStatus as I, TpsStatus as T, Triage
from logistics.rules.geo import haversine_m, nearest
from logistics.rules.lifecycles.delivery import may_move as delivery_may_move
from logistics.rules.lifecycles.incident import may_move as incident_may_move
from logistics.rules.lifecycles.tps_day import may_move as tps_may_move
from logistics.rules.triage import urgency_rank


@pytest.mark.parametrize("current, target, allowed", [
    (D.PLANNED, D.DISPATCHED, True), (D.PLANNED, D.DELIVERED, True), (D.DISPATCHED, D.DELIVERED, True),
    (D.DISPATCHED, D.FAILED, True), (D.DELIVERED, D.PLANNED, False), (D.DELIVERED, D.DISPATCHED, False),
    (D.FAILED, D.DELIVERED, False), (D.DISPATCHED, D.PLANNED, False), (D.PLANNED, D.PLANNED, False),
])
def test_delivery_flow(current, target, allowed):
    assert delivery_may_move(current, target) is allowed


@pytest.mark.parametrize("current, target, allowed", [
    (I.REPORTED, I.RESPONDING, True), (I.REPORTED, I.CLOSED, False), (I.REPORTED, I.REFERRED, False),
    (I.RESPONDING, I.TREATED_ON_SITE, True), (I.RESPONDING, I.REFERRED, True), (I.RESPONDING, I.CLOSED, True),
    (I.TREATED_ON_SITE, I.REFERRED, True), (I.REFERRED, I.TREATED_ON_SITE, False), (I.CLOSED, I.RESPONDING, False),
])
def test_incident_flow(current, target, allowed):
    assert incident_may_move(current, target) is allowed


def test_tps_status_only_moves_forward():
    assert tps_may_move(T.SETUP, T.OPEN) and tps_may_move(T.OPEN, T.COUNTED)
    assert not tps_may_move(T.OPEN, T.SETUP) and not tps_may_move(T.OPEN, T.OPEN)


def test_haversine_matches_a_known_distance():
    # One degree of latitude is ~110.6 km near the equator.
    assert haversine_m(-2.0, 106.0, -3.0, 106.0) == pytest.approx(110_600, rel=0.01)
    assert haversine_m(-2.1, 106.1, -2.1, 106.1) == 0


def test_nearest_picks_the_closest_and_handles_none():
    stations = [("far", -2.5, 106.5), ("near", -2.11, 106.11), ("mid", -2.2, 106.2)]
    key, distance = nearest(-2.1, 106.1, stations)
    assert key == "near" and distance < 2000
    assert nearest(-2.1, 106.1, []) is None


def test_triage_order_puts_merah_first_and_hitam_last():
    ordered = sorted(Triage, key=urgency_rank)
    assert ordered[0] == Triage.MERAH and ordered[-1] == Triage.HITAM


def test_quorum_is_a_majority_of_seven():
    from logistics.rules.quorum import QUORUM, below_quorum

    assert QUORUM == 4
    assert below_quorum(3) and not below_quorum(4) and not below_quorum(None)
