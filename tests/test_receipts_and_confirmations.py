"""The receipt belongs to the TPS (the courier marks "sampai"); irreversible steps ask first;
delivery corrections; the election-day clock (roster alert, ELECTION_DATE=today, the seed's plan)."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from logistics.actor import Actor
from logistics.errors import PermissionDenied, ValidationFailed
from logistics.models import AuditEntry, Delivery, DeliveryStatus, MealRound, MedicStation, RosterShift, Tps, TpsStatus
from logistics.permissions import Permission, Target, delivery_step_permission, may
from logistics.queries.alerts import collect_alerts
from logistics.rules.lifecycles.delivery import may_correct as delivery_may_correct, may_move as delivery_may_move
from logistics.rules.lifecycles.tps_day import skipped_steps as tps_skipped_steps
from logistics.services.deliveries import advance_delivery, correct_delivery
from logistics.services.tps_status import advance_tps_status
from logistics.timeutil import local_at, local_day, to_local, utcnow
from siaga.config import load_settings
from tests.factories import meal
from tests.field_client import log_in_as, post_form

D = DeliveryStatus
DAY = date(2025, 8, 27)


def test_arrival_rules():
    assert delivery_may_move(D.DISPATCHED, D.ARRIVED) and delivery_may_move(D.PLANNED, D.ARRIVED)
    assert delivery_may_move(D.ARRIVED, D.DELIVERED) and delivery_may_move(D.ARRIVED, D.FAILED)
    assert not delivery_may_move(D.ARRIVED, D.DISPATCHED) and not delivery_may_move(D.DELIVERED, D.ARRIVED)
    assert delivery_step_permission(D.ARRIVED) == Permission.DELIVERY_MOVE
    assert delivery_step_permission(D.DELIVERED) == delivery_step_permission(D.FAILED) == Permission.DELIVERY_RECEIVE
    courier = Actor(role="courier", label="k", person_id=5)
    assert may(courier, Permission.DELIVERY_MOVE, Target(courier_id=5))
    assert not may(courier, Permission.DELIVERY_RECEIVE, Target(courier_id=5, tps_id=1, kecamatan_id=1))
    assert delivery_may_correct(D.DELIVERED, D.ARRIVED) and delivery_may_correct(D.FAILED, D.PLANNED)
    assert delivery_may_correct(D.ARRIVED, D.DISPATCHED)
    assert not delivery_may_correct(D.PLANNED, D.PLANNED) and not delivery_may_correct(D.ARRIVED, D.DELIVERED)
    assert tps_skipped_steps(TpsStatus.OPEN, TpsStatus.HANDED_OVER) == (TpsStatus.VOTING_CLOSED, TpsStatus.COUNTED)
    assert tps_skipped_steps(TpsStatus.OPEN, TpsStatus.VOTING_CLOSED) == ()


def courier_stop(session, actor_for):
    kurir = actor_for("kurir")
    stop = session.scalars(select(Delivery).where(Delivery.courier_id == kurir.person_id)
                           .order_by(Delivery.planned_at, Delivery.route_seq)).first()
    return kurir, stop


def test_courier_arrival_waits_for_the_tps_and_coordinators_see_it(client, session, actor_for):
    kurir, stop = courier_stop(session, actor_for)
    advance_delivery(session, kurir, stop.id, D.DISPATCHED)
    arrived = advance_delivery(session, kurir, stop.id, D.ARRIVED)
    assert arrived.status == D.ARRIVED and arrived.quantity_received is None and arrived.received_by is None
    with pytest.raises(PermissionDenied):
        advance_delivery(session, kurir, stop.id, D.DELIVERED, quantity_received=1)
    # Coordinators: the TPS record, the dashboard, the alert after 15 minutes, the API.
    log_in_as(client, session, "koordinator")
    record = client.get(f"/tps/{stop.tps_id}").get_data(as_text=True)
    assert "Sampai, belum dikonfirmasi" in record
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "+1 sampai" in dashboard and "sampai, belum dikonfirmasi" in dashboard
    start, end = local_day(to_local(stop.planned_at).date())
    alerts = collect_alerts(session, arrived.arrived_at + timedelta(minutes=16), start, end)
    unconfirmed = [a for a in alerts if a.kind == "meal_unconfirmed" and a.refs["delivery_id"] == stop.id]
    assert len(unconfirmed) == 1 and "belum dikonfirmasi" in unconfirmed[0].message_id
    assert not [a for a in collect_alerts(session, arrived.arrived_at + timedelta(minutes=14), start, end)
                if a.kind == "meal_unconfirmed"]
    # Arrived is not late: the lateness alert stops at the courier's "sampai".
    later = collect_alerts(session, stop.planned_at + timedelta(hours=2), start, end)
    assert not [a for a in later if a.kind == "meal_late" and a.refs.get("delivery_id") == stop.id]
    # The TPS officer confirms with quantity and receiver.
    officer = Actor(role="field_officer", label="petugas-tps", tps_id=stop.tps_id)
    done = advance_delivery(session, officer, stop.id, D.DELIVERED, quantity_received=stop.quantity_planned - 1,
                            received_by="Siti")
    assert done.status == D.DELIVERED and done.received_by == "Siti" and done.arrived_at <= done.delivered_at
    assert not [a for a in collect_alerts(session, arrived.arrived_at + timedelta(minutes=16), start, end)
                if a.kind == "meal_unconfirmed" and a.refs["delivery_id"] == stop.id]


def test_officer_page_confirms_an_arrival(client, session, actor_for):
    user = log_in_as(client, session, "petugas")
    lunch = meal(session, user.tps_id, MealRound.SIANG)
    advance_delivery(session, Actor.system("kurir-test"), lunch.id, D.ARRIVED)
    page = client.get(f"/lapangan/tps/{user.tps_id}/kiriman").get_data(as_text=True)
    assert "Kurir menandai sampai" in page and "Konfirmasi diterima" in page
    response = post_form(client, f"/lapangan/kiriman/{lunch.id}",
                         {"action": "short", "quantity_received": "4", "received_by": "Budi"})
    assert response.status_code == 303
    session.refresh(lunch)
    assert lunch.status == D.DELIVERED and lunch.quantity_received == 4 and lunch.received_by == "Budi"


def test_api_lists_arrived_deliveries(client, session, actor_for):
    from api.resources.deliveries import DeliverySchema

    kurir, stop = courier_stop(session, actor_for)
    advance_delivery(session, kurir, stop.id, D.ARRIVED)
    dumped = DeliverySchema().dump(stop)
    assert dumped["status"] == "arrived" and dumped["arrived_at"] and dumped["overdue"] is False
    assert dumped["drill"] is False


def test_a_mistaken_receipt_is_corrected_with_a_reason(client, session, actor_for):
    user = log_in_as(client, session, "petugas")
    dinner = meal(session, user.tps_id, MealRound.MALAM)
    post_form(client, f"/lapangan/kiriman/{dinner.id}", {"action": "failed", "reason": "x", "confirm": "1"})
    session.refresh(dinner)
    assert dinner.status == D.FAILED
    page = client.get(f"/lapangan/tps/{user.tps_id}/kiriman").get_data(as_text=True)
    assert '<summary class="button secondary">Koreksi</summary>' in page
    url = f"/lapangan/kiriman/{dinner.id}/koreksi"
    no_reason = post_form(client, url, {"to_status": "planned", "reason": ""}, json=True)
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["error"]["fields"]
    assert post_form(client, url, {"to_status": "planned", "reason": "salah tekan"}).status_code == 303
    session.refresh(dinner)
    assert dinner.status == D.PLANNED and dinner.failed_at is None and dinner.failure_reason is None
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "delivery.corrected",
                                                    AuditEntry.entity_id == dinner.id))
    assert entry.before["status"] == "failed" and entry.after["correction_reason"] == "salah tekan"
    # Only backwards, and not by the courier.
    again = post_form(client, url, {"to_status": "planned", "reason": "lagi"}, json=True)
    assert again.status_code == 422
    kurir = actor_for("kurir")
    with pytest.raises(PermissionDenied):
        correct_delivery(session, kurir, dinner.id, D.PLANNED, "bukan wewenang")


def test_delivered_back_to_arrived_keeps_the_arrival(session, actor_for):
    petugas = actor_for("petugas")
    lunch = meal(session, petugas.tps_id, MealRound.SIANG)
    advance_delivery(session, petugas, lunch.id, D.DELIVERED, quantity_received=3, received_by="A")
    corrected = correct_delivery(session, petugas, lunch.id, D.ARRIVED, "jumlah salah, hitung ulang")
    assert corrected.status == D.ARRIVED and corrected.arrived_at is not None
    assert corrected.quantity_received is None and corrected.delivered_at is None
    with pytest.raises(ValidationFailed):
        correct_delivery(session, petugas, lunch.id, "nonsense", "x")


def test_skipping_steps_asks_for_a_reason_without_javascript(client, session):
    user = log_in_as(client, session, "petugas")
    url = f"/lapangan/tps/{user.tps_id}/status"
    assert post_form(client, url, {"to_status": "open"}).status_code == 303  # the next step: no question
    asked = post_form(client, url, {"to_status": "handed_over"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "akan dilewati" in page and 'name="reason"' in page
    assert 'name="to_status" value="handed_over"' in page and 'name="confirm" value="1"' in page
    assert session.get(Tps, user.tps_id).status == TpsStatus.OPEN
    no_reason = post_form(client, url, {"to_status": "handed_over", "confirm": "1"})
    assert no_reason.status_code == 200 and "Alasan wajib diisi." in no_reason.get_data(as_text=True)
    as_json = post_form(client, url, {"to_status": "handed_over", "confirm": "1"}, json=True)
    assert as_json.status_code == 422 and "reason" in as_json.get_json()["error"]["fields"]
    done = post_form(client, url, {"to_status": "handed_over", "confirm": "1", "reason": "lupa melapor"})
    assert done.status_code == 303
    tps = session.get(Tps, user.tps_id)
    assert tps.status == TpsStatus.HANDED_OVER
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "tps.handed_over",
                                                    AuditEntry.entity_id == tps.id))
    assert entry.after["skipped"] == ["voting_closed", "counted"] and entry.after["reason"] == "lupa melapor"


def test_handing_over_asks_first_even_as_the_next_step(client, session, actor_for):
    user = log_in_as(client, session, "petugas")
    petugas = actor_for("petugas")
    for step in (TpsStatus.OPEN, TpsStatus.VOTING_CLOSED, TpsStatus.COUNTED):
        advance_tps_status(session, petugas, user.tps_id, step)
    page = client.get(f"/lapangan/tps/{user.tps_id}").get_data(as_text=True)
    assert 'data-confirm="Kotak suara sudah benar-benar diserahkan ke PPS?' in page
    assert '<summary class="button secondary">Koreksi data yang salah</summary>' in page
    url = f"/lapangan/tps/{user.tps_id}/status"
    assert post_form(client, url, {"to_status": "handed_over"}).status_code == 200
    assert session.get(Tps, user.tps_id).status == TpsStatus.COUNTED
    assert post_form(client, url, {"to_status": "handed_over", "confirm": "1"}).status_code == 303
    assert session.get(Tps, user.tps_id).status == TpsStatus.HANDED_OVER


def test_station_staffing_alert_follows_the_election_day_not_the_calendar(session):
    """Rosters are on the election day; asked on another day, the alert must not call every station unstaffed."""
    start, end = local_day(DAY)
    on_the_day = [a for a in collect_alerts(session, local_at(DAY, time(10)), start, end) if a.kind == "station_unstaffed"]
    assert on_the_day == []
    other_day = [a for a in collect_alerts(session, utcnow(), start, end) if a.kind == "station_unstaffed"]
    assert other_day == []
    # ... while a real gap on the day still shows.
    station = session.scalar(select(MedicStation).order_by(MedicStation.code).limit(1))
    at = local_at(DAY, time(10))
    session.execute(RosterShift.__table__.delete().where(RosterShift.medic_station_id == station.id,
                                                         RosterShift.starts_at <= at, RosterShift.ends_at > at))
    gaps = [a for a in collect_alerts(session, at, start, end) if a.kind == "station_unstaffed"]
    assert [a.refs["medic_station_id"] for a in gaps] == [station.id]


def test_election_date_today(tmp_path):
    settings = load_settings(str(tmp_path), environ={"SIAGA_ENV": "development", "ELECTION_DATE": "today"})
    assert settings.election_date == to_local(utcnow()).date().isoformat()


def test_seed_follows_the_election_day(session):
    from siaga.seeding import seed_demo

    day = DAY + timedelta(days=400)
    seed_demo(session, demo_password="x", election_day=day)
    start, end = local_day(day)
    meals = session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.planned_at >= start, Delivery.planned_at < end))
    assert meals == 3 * session.scalar(select(func.count()).select_from(Tps))
    shifts = session.scalar(select(func.count()).select_from(RosterShift).where(
        RosterShift.starts_at >= start, RosterShift.starts_at < end))
    assert shifts >= session.scalar(select(func.count()).select_from(MedicStation))
