"""Coordinators' planning pages: meal plan, rosters, logistics checklist."""
import pytest
from sqlalchemy import select

from logistics.models import Delivery, DeliveryKind, DeliveryStatus, Kecamatan, MealRound, RosterShift
from logistics.services.deliveries import advance_delivery
from tests.field_client import csrf_from as csrf, log_in_as as logged_in


def lunch_of(session, tps_id):
    return session.scalar(select(Delivery).where(Delivery.tps_id == tps_id, Delivery.meal_round == MealRound.SIANG))


def test_meal_plan_page_lists_routes_and_risks(client, session):
    logged_in(client, session, "koordinator")
    page = client.get("/rencana/konsumsi?putaran=siang").get_data(as_text=True)
    assert "Rencana konsumsi" in page and "319 TPS" in page
    at_risk = session.scalars(select(Delivery).where(Delivery.meal_round == MealRound.SIANG,
                                                     Delivery.eta_at > Delivery.planned_at)).all()
    assert f"Berisiko terlambat: {len(at_risk)}" in page


def test_kecamatan_coordinator_sees_only_its_kecamatan(client, session):
    logged_in(client, session, "camat-gerunggang")
    page = client.get("/rencana/konsumsi").get_data(as_text=True)
    assert "Semabung Lama" not in page and "Bukit Merapen" in page


def test_plan_button_adds_the_snack_round(client, session):
    logged_in(client, session, "koordinator")
    token = csrf(client, "/rencana/konsumsi")
    response = client.post("/rencana/konsumsi/susun", data={"csrf_token": token, "idempotency_key": "plan-snack-001"})
    assert response.status_code == 303
    assert len(session.scalars(select(Delivery).where(Delivery.meal_round == MealRound.SNACK)).all()) == 319
    again = client.post("/rencana/konsumsi/susun", data={"csrf_token": token, "idempotency_key": "plan-snack-001"})
    assert again.headers["Idempotent-Replayed"] == "true"


def test_edit_a_meal_delivery(client, session, actor_for):
    logged_in(client, session, "koordinator")
    lunch = lunch_of(session, actor_for("petugas").tps_id)
    path = f"/rencana/konsumsi/{lunch.id}"
    token = csrf(client, path)
    bad = client.post(path, data={"csrf_token": token, "waktu": "12:15", "porsi": "0", "kurir": lunch.courier_id})
    assert bad.status_code == 422 and "Jumlah porsi 1 sampai 500." in bad.get_data(as_text=True)
    bad_time = client.post(path, data={"csrf_token": token, "waktu": "25:99", "porsi": "9"})
    assert bad_time.status_code == 422 and "Waktu tidak valid." in bad_time.get_data(as_text=True)
    ok = client.post(path, data={"csrf_token": token, "waktu": "11:45", "porsi": "11", "kurir": lunch.courier_id})
    assert ok.status_code == 303
    assert lunch.quantity_planned == 11 and lunch.planned_at.strftime("%H:%M") == "04:45"  # 11:45 WIB in UTC


@pytest.mark.parametrize("username, status", [("camat-gerunggang", 403), ("petugas", 403), ("mitra", 403)])
def test_others_cannot_edit(client, session, actor_for, username, status):
    lunch = lunch_of(session, actor_for("petugas").tps_id)  # Bukit Intan
    logged_in(client, session, username)
    assert client.get(f"/rencana/konsumsi/{lunch.id}").status_code == status


def test_roster_page_shows_gaps_and_adds_shifts(client, session):
    logged_in(client, session, "camat-gerunggang")
    shift = session.scalar(select(RosterShift).join(RosterShift.medic_station).order_by(RosterShift.id)
                           .where(RosterShift.medic_station.has(name="Pos Kesehatan Kecamatan Gerunggang")))
    token = csrf(client, "/rencana/jaga")
    client.post(f"/rencana/jaga/{shift.id}/hapus", data={"csrf_token": token})
    page = client.get("/rencana/jaga").get_data(as_text=True)
    assert "Tidak ada petugas jaga" in page and "Pos Kesehatan Kecamatan Pangkal Balam" not in page
    response = client.post("/rencana/jaga", data={
        "csrf_token": token, "pos": shift.medic_station_id, "medis": shift.person_id,
        "mulai": "2025-08-27T05:30", "selesai": "2025-08-27T13:30"}, follow_redirects=True)
    assert "Giliran jaga ditambahkan." in response.get_data(as_text=True)
    bad = client.post("/rencana/jaga", data={"csrf_token": token, "pos": shift.medic_station_id,
                                             "medis": shift.person_id, "mulai": "kemarin", "selesai": "x"},
                      follow_redirects=True)
    assert "Waktu tidak valid." in bad.get_data(as_text=True)


def test_logistics_checklist_shows_damage(client, session, actor_for):
    petugas = actor_for("petugas")
    ink = session.scalar(select(Delivery).where(Delivery.tps_id == petugas.tps_id, Delivery.item == "tinta",
                                                Delivery.kind == DeliveryKind.LOGISTICS))
    advance_delivery(session, petugas, ink.id, DeliveryStatus.DELIVERED, quantity_received=2, quantity_damaged=1)
    logged_in(client, session, "koordinator")
    page = client.get("/rencana/logistik").get_data(as_text=True)
    assert '<span class="risk">1</span>' in page and "Surat suara" in page and "surat_suara" not in page


def test_logistics_checklist_shows_one_kecamatan_at_a_time(client, session):
    logged_in(client, session, "koordinator")
    page = client.get("/rencana/logistik").get_data(as_text=True)
    assert "Semabung Lama" in page and "Bukit Merapen" not in page  # Bukit Intan first
    assert "Semua kecamatan" not in page and len(page.encode()) < 100_000
    gerunggang = session.scalar(select(Kecamatan.id).where(Kecamatan.nama == "Gerunggang"))
    assert "Bukit Merapen" in client.get(f"/rencana/logistik?kecamatan={gerunggang}").get_data(as_text=True)


def test_kecamatan_coordinator_cannot_ask_for_another_kecamatan(client, session):
    other = session.scalar(select(Kecamatan.id).where(Kecamatan.nama == "Bukit Intan"))
    logged_in(client, session, "camat-gerunggang")
    for path in ("/rencana/konsumsi", "/rencana/jaga", "/rencana/logistik"):
        assert client.get(f"{path}?kecamatan={other}").status_code == 403
