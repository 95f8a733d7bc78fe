"""Services and queries behind the field pages: corrections, the courier's route, shortages, care times."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from logistics.errors import InvalidTransition, PermissionDenied, ValidationFailed
from logistics.models import AuditEntry, Delivery, DeliveryStatus, Person, TpsStatus
from logistics.queries.alerts import collect_alerts
from logistics.queries.courier_route import courier_route
from logistics.rules.care_times import time_to_care, time_to_response
from logistics.services.deliveries import advance_delivery
from logistics.services.tps_status import advance_tps_status, correct_tps_status, report_officers_present
from logistics.timeutil import local_at, utcnow
from tests.factories import meal, other_tps, tps_of


def test_correction_moves_the_status_back_and_clears_later_times(session, actor_for):
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.COUNTED)  # tapped the wrong button
    tps = correct_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN, "salah tekan tombol")
    assert tps.status == TpsStatus.OPEN
    assert tps.opened_at is not None and tps.counted_at is None and tps.voting_closed_at is None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "tps.corrected",
                                                     AuditEntry.entity_id == tps.id)).one()
    assert entry.before["status"] == "counted" and entry.after["status"] == "open"
    assert entry.before["counted_at"] and entry.after["counted_at"] is None
    assert entry.after["correction_reason"] == "salah tekan tombol"
    assert entry.actor_label == "petugas"


def test_correction_fixes_the_officer_count(session, actor_for):
    petugas = actor_for("petugas")
    report_officers_present(session, petugas, petugas.tps_id, 3)
    tps = correct_tps_status(session, petugas, petugas.tps_id, None, "salah ketik", officers_present=6)
    assert tps.officers_present == 6 and tps.status == TpsStatus.SETUP


@pytest.mark.parametrize("to_status, reason, count, field", [
    (TpsStatus.OPEN, "", None, "reason"),
    (TpsStatus.HANDED_OVER, "maju", None, "to_status"),  # forward is not a correction
    (None, "tidak ada", None, "to_status"),  # nothing to correct
    (None, "angka", 99, "officers_present"),
    ("terbang", "x", None, "to_status"),
])
def test_correction_refuses_bad_input_per_field(session, actor_for, to_status, reason, count, field):
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    with pytest.raises(ValidationFailed) as error:
        correct_tps_status(session, petugas, petugas.tps_id, to_status, reason, officers_present=count)
    assert field in error.value.fields


def test_correction_only_for_the_own_tps(session, actor_for):
    petugas = actor_for("petugas")
    elsewhere = other_tps(session, petugas.tps_id)
    with pytest.raises(PermissionDenied):
        correct_tps_status(session, petugas, elsewhere.id, TpsStatus.SETUP, "bukan TPS saya")


def test_advance_stays_forward_only(session, actor_for):
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.COUNTED)
    with pytest.raises(InvalidTransition):
        advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)


def test_courier_route_is_ordered_by_planned_time_then_the_tour(session, actor_for):
    kurir = actor_for("kurir")
    day = datetime(2025, 8, 27, tzinfo=timezone.utc)
    stops = courier_route(session, kurir.person_id, local_at(day.date(), datetime.min.time()),
                          local_at((day + timedelta(days=1)).date(), datetime.min.time()))
    assert stops and all(d.courier_id == kurir.person_id for d in stops)
    keys = [(d.planned_at, d.route_seq) for d in stops]
    assert keys == sorted(keys)
    for planned in {d.planned_at for d in stops}:  # each round is a whole tour, 1..n
        assert sorted(d.route_seq for d in stops if d.planned_at == planned) == \
            list(range(1, sum(d.planned_at == planned for d in stops) + 1))
    assert len({d.planned_at for d in stops}) == 3  # pagi, siang, malam
    other = session.scalar(select(Person).where(Person.role == "courier", Person.id != kurir.person_id))
    assert not {d.id for d in stops} & {d.id for d in courier_route(session, other.id, stops[0].planned_at,
                                                                     stops[-1].planned_at + timedelta(1))}


def test_meal_received_short_is_an_alert_for_coordinators(session, actor_for):
    petugas = actor_for("petugas")
    lunch = meal(session, petugas.tps_id)
    advance_delivery(session, petugas, lunch.id, DeliveryStatus.DELIVERED,
                     quantity_received=lunch.quantity_planned - 2, received_by="Ketua")
    now = utcnow()
    alerts = [a for a in collect_alerts(session, now, now - timedelta(hours=1), now + timedelta(hours=1))
              if a.kind == "meal_shortage"]
    assert [a.refs["delivery_id"] for a in alerts] == [lunch.id]
    assert "kurang 2 porsi" in alerts[0].message_id and alerts[0].tps_id == petugas.tps_id
    kecamatan = tps_of(session, petugas).kelurahan.kecamatan_id
    scoped = collect_alerts(session, now, now - timedelta(hours=1), now + timedelta(hours=1), [kecamatan + 1000])
    assert not [a for a in scoped if a.kind == "meal_shortage"]


def test_full_receipt_is_not_an_alert(session, actor_for):
    petugas = actor_for("petugas")
    lunch = meal(session, petugas.tps_id)
    advance_delivery(session, petugas, lunch.id, DeliveryStatus.DELIVERED)
    assert session.get(Delivery, lunch.id).quantity_received == lunch.quantity_planned
    now = utcnow()
    assert not [a for a in collect_alerts(session, now, now - timedelta(hours=1), now + timedelta(hours=1))
                if a.kind == "meal_shortage"]


def test_care_times_in_minutes():
    t0 = datetime(2025, 8, 27, 5, 0, tzinfo=timezone.utc)
    assert time_to_response(t0, t0 + timedelta(minutes=7, seconds=50)) == 7
    assert time_to_response(t0, None) is None
    assert time_to_care(t0, None, t0 + timedelta(minutes=25)) == 25
    assert time_to_care(t0, t0 + timedelta(minutes=12), t0 + timedelta(minutes=40)) == 12
    assert time_to_care(t0, None, None) is None
