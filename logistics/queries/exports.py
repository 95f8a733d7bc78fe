"""Rows for the coordinators' exports: TPS status, deliveries and incidents, filtered and scoped.

Each function returns (header, rows iterator) of plain values; rows are streamed from the
database in batches so an export of the whole country does not sit in memory. Times are shown in the row's
own area's clock with the zone named in the cell (`27-08-2025 07:05 WIT`): a national export mixes WIB, WITA
and WIT rows, each read as the people there read their clock (the API stays UTC).
"""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from logistics.models import (
    Delivery, DeliveryStatus, HealthIncident, IncidentStatus, Kecamatan, Kelurahan, MedicStation, Tps, TpsStatus,
)
from logistics.items import item_label
from logistics.permissions.read_scope import incident_in_kecamatan
from logistics.texts import source
from logistics.queries.zones import deployment_zone
from logistics.rules.time_zones import AreaZone, zone_of
from logistics.timeutil import format_local

BATCH = 2000
SUBJECTS = ("tps", "deliveries", "incidents")
STATUS_ENUMS = {"tps": TpsStatus, "deliveries": DeliveryStatus, "incidents": IncidentStatus}


def _t(value, zone: AreaZone) -> str:
    return "" if value is None else format_local(value, zone=zone)


def _zone(code: str | None, fallback: AreaZone) -> AreaZone:
    """The zone of the area with this Kemendagri code; `fallback` (the deployment's) when there is none."""
    return zone_of(code) if code else fallback


def tps_rows(session: Session, kecamatan_ids=None, status: TpsStatus | None = None):
    header = ["kode_tps", "tps", "kelurahan", "kecamatan", "dpt", "status", "petugas_hadir", "dibuka",
              "pemungutan_ditutup", "penghitungan_selesai", "diserahkan"]
    # Columns, not Tps objects: a national export is 820,000 rows, and ORM objects cost time and memory
    # for nothing a CSV line needs.
    query = (select(Tps.code, Tps.number, Kelurahan.nama, Kecamatan.nama, Tps.dpt, Tps.status, Tps.officers_present,
                    Tps.opened_at, Tps.voting_closed_at, Tps.counted_at, Tps.handed_over_at, Kelurahan.kode_kemendagri)
             .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .join(Kecamatan, Kelurahan.kecamatan_id == Kecamatan.id).order_by(Tps.code))
    if kecamatan_ids is not None:
        query = query.where(Kecamatan.id.in_(list(kecamatan_ids)))
    if status is not None:
        query = query.where(Tps.status == status)

    def rows() -> Iterator[list]:
        for code, number, kel, kec, dpt, status_, present, opened, closed, counted, handed, area in session.execute(
                query.execution_options(yield_per=BATCH)):
            zone = zone_of(area)
            yield [code, Tps.label_of(number), kel, kec, dpt, status_.label_id, present,
                   _t(opened, zone), _t(closed, zone), _t(counted, zone), _t(handed, zone)]
    return header, rows()


def delivery_rows(session: Session, kecamatan_ids=None, status: DeliveryStatus | None = None):
    header = ["ref", "kode_tps", "kelurahan", "kecamatan", "jenis", "putaran_makan", "barang", "jumlah_rencana",
              "jumlah_diterima", "satuan", "status", "rencana", "berangkat", "diterima", "gagal", "alasan_gagal",
              "penerima", "catatan"]
    query = (select(Delivery, Tps.code, Kelurahan.nama, Kecamatan.nama, Kelurahan.kode_kemendagri)
             .join(Tps, Delivery.tps_id == Tps.id)
             .join(Kelurahan, Tps.kelurahan_id == Kelurahan.id).join(Kecamatan, Kelurahan.kecamatan_id == Kecamatan.id)
             .order_by(Delivery.planned_at, Tps.code, Delivery.id))
    if kecamatan_ids is not None:
        query = query.where(Kecamatan.id.in_(list(kecamatan_ids)))
    if status is not None:
        query = query.where(Delivery.status == status)

    def rows() -> Iterator[list]:
        for d, code, kel, kec, area in session.execute(query.execution_options(yield_per=BATCH)):
            zone = zone_of(area)
            yield [d.ref, code, kel, kec, d.kind.label_id, d.meal_round.label_id if d.meal_round else "",
                   source(item_label(d.item)), d.quantity_planned, d.quantity_received, d.unit, d.status.label_id,
                   _t(d.planned_at, zone), _t(d.dispatched_at, zone), _t(d.delivered_at, zone),
                   _t(d.failed_at, zone),
                   d.failure_reason or "", d.received_by or "", d.notes or ""]
    return header, rows()


def incident_rows(session: Session, kecamatan_ids=None, status: IncidentStatus | None = None):
    # lat/lon: the position given with the report (empty at a TPS); lat_efektif/lon_efektif: where it is (else the TPS's).
    header = ["id", "terjadi", "kode_tps", "lat", "lon", "lat_efektif", "lon_efektif", "jenis_pasien", "nama_pasien", "keluhan", "triase",
              "status", "pos_kesehatan_id", "dilaporkan", "ditangani", "dirawat", "dirujuk", "selesai", "catatan"]
    # The incident's area: its TPS's kelurahan, else (reported at a position) its station's kecamatan.
    station_kec = aliased(Kecamatan)
    area = func.coalesce(Kelurahan.kode_kemendagri, station_kec.kode_kemendagri)
    query = (select(HealthIncident, Tps.code, HealthIncident.effective_lat, HealthIncident.effective_lon, area)
             .outerjoin(Tps, HealthIncident.tps_id == Tps.id)
             .outerjoin(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
             .outerjoin(MedicStation, HealthIncident.medic_station_id == MedicStation.id)
             .outerjoin(station_kec, MedicStation.kecamatan_id == station_kec.id)
             .order_by(HealthIncident.occurred_at, HealthIncident.id))
    if kecamatan_ids is not None:
        query = query.where(incident_in_kecamatan(kecamatan_ids))
    if status is not None:
        query = query.where(HealthIncident.status == status)

    def rows() -> Iterator[list]:
        fallback = deployment_zone(session)
        for i, code, lat, lon, area_code in session.execute(query.execution_options(yield_per=BATCH)):
            zone = _zone(area_code, fallback)
            yield [i.id, _t(i.occurred_at, zone), code or "", i.lat, i.lon, lat, lon, i.patient_kind.label_id,
                   i.patient_name or "", i.complaint, i.triage.label_id, i.status.label_id, i.medic_station_id,
                   _t(i.reported_at, zone), _t(i.responding_at, zone), _t(i.treated_at, zone), _t(i.referred_at, zone),
                   _t(i.closed_at, zone), i.notes or ""]
    return header, rows()


ROWS = {"tps": tps_rows, "deliveries": delivery_rows, "incidents": incident_rows}
