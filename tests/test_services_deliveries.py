"""Delivery steps through the service layer: legal flows, illegal changes, permissions."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from logistics.errors import InvalidTransition, PermissionDenied, ValidationFailed
from logistics.models import AuditEntry, Delivery, DeliveryStatus as S, Role, Tps
from logistics.services.deliveries import advance_delivery
from logistics.timeutil import utcnow
from tests.factories import actor_of, make_meal, make_tps, meal, other_tps, save


def test_courier_dispatches_then_officer_confirms_receipt(session, actor_for):
    kurir, petugas = actor_for("kurir"), actor_for("petugas")
    delivery = session.scalar(select(Delivery).where(Delivery.courier_id == kurir.person_id).limit(1))
    advance_delivery(session, kurir, delivery.id, S.DISPATCHED)
    assert delivery.status == S.DISPATCHED and delivery.dispatched_at is not None

    lunch = meal(session, petugas.tps_id)
    advance_delivery(session, petugas, lunch.id, S.DELIVERED, quantity_received=7, received_by="  Siti  ")
    session.expire_all()
    lunch = session.get(Delivery, lunch.id)
    assert lunch.status == S.DELIVERED
    assert lunch.quantity_received == 7 and lunch.received_by == "Siti"
    assert lunch.delivered_at.tzinfo is not None and lunch.delivered_at.utcoffset() == timedelta(0)


# These run on an empty database (tests/factories.py builds the records): the rules need no demo city.

def test_receipt_defaults_to_the_planned_quantity(empty_session):
    session = empty_session
    lunch = make_meal(session)
    petugas = actor_of(session, Role.FIELD_OFFICER, tps_id=lunch.tps_id)
    advance_delivery(session, petugas, lunch.id, S.DELIVERED)
    assert lunch.quantity_received == lunch.quantity_planned


def test_delivered_cannot_go_back_to_planned_or_dispatched(empty_session):
    session = empty_session
    lunch = make_meal(session)
    advance_delivery(session, actor_of(session, Role.FIELD_OFFICER, tps_id=lunch.tps_id), lunch.id, S.DELIVERED)
    admin = actor_of(session, Role.ADMIN)
    for target in (S.PLANNED, S.DISPATCHED, S.FAILED):
        with pytest.raises(InvalidTransition):
            advance_delivery(session, admin, lunch.id, target)
    session.expire_all()
    assert session.get(Delivery, lunch.id).status == S.DELIVERED


def test_failed_is_final_and_keeps_its_reason(empty_session):
    session = empty_session
    lunch = make_meal(session)
    petugas = actor_of(session, Role.FIELD_OFFICER, tps_id=lunch.tps_id)
    advance_delivery(session, petugas, lunch.id, S.FAILED, reason="Tidak datang")
    assert lunch.failure_reason == "Tidak datang" and lunch.failed_at is not None
    with pytest.raises(InvalidTransition):
        advance_delivery(session, petugas, lunch.id, S.DELIVERED)


def test_field_officer_cannot_touch_another_tps(empty_session):
    session = empty_session
    own, elsewhere = make_tps(session), make_meal(session)
    save(session)  # the refused service rolls back its own unit of work, not the test's set-up
    with pytest.raises(PermissionDenied):
        advance_delivery(session, actor_of(session, Role.FIELD_OFFICER, tps_id=own.id), elsewhere.id, S.DELIVERED)
    assert session.get(Delivery, elsewhere.id).status == S.PLANNED


def test_the_empty_database_is_empty(empty_session):
    """What the tests above prove: no seeded record was there to lean on."""
    assert empty_session.scalar(select(func.count()).select_from(Tps)) == 0


def test_courier_cannot_touch_another_couriers_delivery(session, actor_for):
    kurir = actor_for("kurir")
    other = session.scalar(select(Delivery).where(Delivery.courier_id != kurir.person_id).limit(1))
    with pytest.raises(PermissionDenied):
        advance_delivery(session, kurir, other.id, S.DISPATCHED)


@pytest.mark.parametrize("username", ["mitra", "medis"])
def test_partners_and_medics_cannot_move_deliveries(session, actor_for, username):
    lunch = meal(session, actor_for("petugas").tps_id)
    with pytest.raises(PermissionDenied):
        advance_delivery(session, actor_for(username), lunch.id, S.DELIVERED)


def test_kecamatan_coordinator_only_in_its_kecamatan(session, actor_for):
    camat = actor_for("camat-gerunggang")
    inside = meal(session, other_tps(session, 0, "Gerunggang").id)
    outside = meal(session, other_tps(session, 0, "Bukit Intan").id)
    advance_delivery(session, camat, inside.id, S.DISPATCHED)
    with pytest.raises(PermissionDenied):
        advance_delivery(session, camat, outside.id, S.DISPATCHED)


@pytest.mark.parametrize("quantity", [-1, "7", 1.5, True, 10_000])
def test_bad_quantity_is_a_field_error(session, actor_for, quantity):
    petugas = actor_for("petugas")
    lunch = meal(session, petugas.tps_id)
    with pytest.raises(ValidationFailed) as caught:
        advance_delivery(session, petugas, lunch.id, S.DELIVERED, quantity_received=quantity)
    assert "quantity_received" in caught.value.fields
    assert session.get(Delivery, lunch.id).status == S.PLANNED


def test_time_in_the_future_or_without_zone_is_refused(session, actor_for):
    petugas = actor_for("petugas")
    lunch = meal(session, petugas.tps_id)
    with pytest.raises(ValidationFailed):
        advance_delivery(session, petugas, lunch.id, S.DELIVERED, at=utcnow() + timedelta(hours=1))
    with pytest.raises(ValidationFailed):
        advance_delivery(session, petugas, lunch.id, S.DELIVERED, at=utcnow().replace(tzinfo=None))


def test_every_step_is_audited_with_before_and_after(session, actor_for):
    petugas = actor_for("petugas")
    lunch = meal(session, petugas.tps_id)
    advance_delivery(session, petugas, lunch.id, S.DELIVERED, quantity_received=8, received_by="Siti")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "delivery",
                                                    AuditEntry.entity_id == lunch.id))
    assert entry.actor_label == "petugas" and entry.actor_id == petugas.user_id
    assert entry.action == "delivery.delivered"
    assert entry.before["status"] == "planned" and entry.before["quantity_received"] is None
    assert entry.after["status"] == "delivered" and entry.after["quantity_received"] == 8


def test_logistics_checklist_records_damaged_items(session, actor_for):
    from logistics.models import DeliveryKind

    petugas = actor_for("petugas")
    ballots = session.scalar(select(Delivery).where(Delivery.tps_id == petugas.tps_id,
                                                    Delivery.kind == DeliveryKind.LOGISTICS, Delivery.item == "surat_suara"))
    with pytest.raises(ValidationFailed) as caught:
        advance_delivery(session, petugas, ballots.id, S.DELIVERED, quantity_received=10, quantity_damaged=11)
    assert "quantity_damaged" in caught.value.fields
    advance_delivery(session, petugas, ballots.id, S.DELIVERED, quantity_received=ballots.quantity_planned,
                     quantity_damaged=3, received_by="Ketua KPPS")
    assert (ballots.quantity_received, ballots.quantity_damaged) == (ballots.quantity_planned, 3)
    with pytest.raises(ValidationFailed):
        advance_delivery(session, petugas, meal(session, petugas.tps_id).id, S.DELIVERED, quantity_damaged=1)
