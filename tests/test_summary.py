"""The per-kecamatan figures match what the services recorded."""
from datetime import date, time, timedelta

from sqlalchemy import func, select

from logistics.models import DeliveryStatus, Kecamatan, Kelurahan, MealRound, Tps, TpsStatus
from logistics.queries.summary import city_totals, kecamatan_summary
from logistics.models import DeliveryStatus as D
from logistics.rules.lifecycles.delivery import arrived_late, is_late
from logistics.services.deliveries import advance_delivery
from logistics.services.incidents import report_incident
from logistics.services.tps_status import advance_tps_status
from logistics.timeutil import local_at
from tests.factories import meal

DAY = date(2025, 8, 27)
START, END = local_at(DAY, time(0, 0)), local_at(DAY + timedelta(days=1), time(0, 0))


def by_name(rows):
    return {r["nama"]: r for r in rows}


def test_figures_follow_the_posts(session, actor_for):
    petugas = actor_for("petugas")  # TPS 001 Semabung Lama, Kecamatan Bukit Intan
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    advance_delivery(session, petugas, meal(session, petugas.tps_id, MealRound.PAGI).id, DeliveryStatus.DELIVERED)
    report_incident(session, petugas, patient_kind="officer", complaint="pingsan", triage="merah", tps_id=petugas.tps_id)

    at_lunch_plus_45 = local_at(DAY, time(12, 45))
    rows = by_name(kecamatan_summary(session, at_lunch_plus_45, START, END))
    assert len(rows) == 7
    bukit_intan = rows["Bukit Intan"]
    n_tps = session.scalar(select(func.count(Tps.id)).join(Kelurahan).join(Kecamatan)
                           .where(Kecamatan.nama == "Bukit Intan"))
    assert bukit_intan["tps_total"] == n_tps and bukit_intan["tps_opened"] == 1
    assert bukit_intan["meals"]["pagi"] == {"planned": n_tps, "delivered": 1, "arrived": 0, "failed": 0,
                                           "late": n_tps - 1}
    assert bukit_intan["meals"]["siang"]["late"] == n_tps  # 12:45 is past 12:00 + 30 min
    assert bukit_intan["meals"]["malam"]["late"] == 0
    assert bukit_intan["incidents_open"]["merah"] == 1
    assert rows["Gerunggang"]["incidents_open"]["merah"] == 0

    totals = city_totals(list(rows.values()))
    assert totals["tps_total"] == 319 and totals["dpt"] == 169_016
    assert totals["meals"]["pagi"]["planned"] == 319 and totals["meals"]["pagi"]["delivered"] == 1
    assert totals["medic_stations"] == 8 == totals["medic_stations_staffed"]


def test_scope_limits_the_rows(session):
    gerunggang = session.scalar(select(Kecamatan.id).where(Kecamatan.nama == "Gerunggang"))
    rows = kecamatan_summary(session, START, START, END, kecamatan_ids=[gerunggang])
    assert [r["nama"] for r in rows] == ["Gerunggang"]


def test_lateness_rule_edges():
    planned = local_at(DAY, time(12, 0))
    assert not is_late(D.DISPATCHED, planned, planned + timedelta(minutes=30))
    assert is_late(D.DISPATCHED, planned, planned + timedelta(minutes=30, seconds=1))
    # Reached (there, even unconfirmed; received; reported not coming) is never late.
    assert not any(is_late(s, planned, planned + timedelta(hours=5)) for s in (D.ARRIVED, D.DELIVERED, D.FAILED))
    assert arrived_late(planned, planned + timedelta(minutes=31), None)
    assert arrived_late(planned, None, planned + timedelta(minutes=31))
    # The courier's "sampai" on time is on time, whenever the TPS confirms it.
    assert not arrived_late(planned, planned, planned + timedelta(minutes=45))
    assert not arrived_late(planned, None, planned + timedelta(minutes=29)) and not arrived_late(planned, None, None)

