"""Health incidents: report one (the nearest medic station is assigned), then the care steps."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.errors import InvalidTransition, ValidationFailed
from logistics.events import Event, EventKind, raise_event
from logistics.models import (
    HealthFacility, HealthIncident, IncidentStatus, MedicStation, PatientKind, Tps, Triage,
)
from logistics.models.base import max_length
from logistics.permissions import Permission, Target, may, require
from logistics.rules.geo import nearest
from logistics.rules.lifecycles import incident as lifecycle
from logistics.services.common import (
    audit, clock_now, commit, correction_reason, load, require_transition, snapshot, step_time,
)
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work

S = IncidentStatus
STEP_TIME_FIELD = lifecycle.INCIDENT.step_times
# Search for the nearest station within this box first (degrees, ~55 km), so the national
# table is not scanned for every report.
NEAR_BOX_DEG = 0.5


def nearest_station(session: Session, lat: float, lon: float) -> MedicStation | None:
    box = select(MedicStation).where(
        MedicStation.lat.between(lat - NEAR_BOX_DEG, lat + NEAR_BOX_DEG),
        MedicStation.lon.between(lon - NEAR_BOX_DEG, lon + NEAR_BOX_DEG),
    )
    stations = session.scalars(box).all() or session.scalars(select(MedicStation)).all()
    found = nearest(lat, lon, ((s, s.lat, s.lon) for s in stations))
    return found[0] if found else None


def _enum(enum_cls, value, field: str, errors: dict):
    try:
        return enum_cls(value)
    except ValueError:
        errors[field] = lazy_gettext("Pilih salah satu: {choices}", choices=", ".join(m.value for m in enum_cls))
        return None


@in_unit_of_work
def report_incident(
    session: Session, actor: Actor, *, patient_kind: str, complaint: str, triage: str,
    tps_id: int | None = None, lat: float | None = None, lon: float | None = None,
    patient_name: str | None = None, notes: str | None = None, occurred_at: datetime | None = None,
) -> HealthIncident:
    errors: dict[str, str] = {}
    kind = _enum(PatientKind, patient_kind, "patient_kind", errors)
    level = _enum(Triage, triage, "triage", errors)
    complaint = (complaint or "").strip()
    if not complaint:
        errors["complaint"] = lazy_gettext("Keluhan wajib diisi.")
    elif len(complaint) > (limit := max_length(HealthIncident.complaint)):
        errors["complaint"] = lazy_gettext("Keluhan paling banyak {n} huruf.", n=limit)
    tps = session.get(Tps, tps_id) if tps_id is not None else None
    if tps_id is not None and tps is None:
        errors["tps_id"] = lazy_gettext("TPS tidak ditemukan.")
    if tps is None and tps_id is None:
        if lat is None or lon is None:
            errors["place"] = lazy_gettext("Pilih TPS atau isi posisi (lat, lon).")
        elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors["place"] = lazy_gettext("Posisi di luar jangkauan koordinat.")
    if patient_name and len(patient_name.strip()) > (limit := max_length(HealthIncident.patient_name)):
        errors["patient_name"] = lazy_gettext("Nama paling banyak {n} huruf.", n=limit)
    if errors:
        raise ValidationFailed(lazy_gettext("Laporan kejadian tidak lengkap"), errors)

    kecamatan_id = tps.kelurahan.kecamatan_id if tps else None
    require(may(actor, Permission.INCIDENT_REPORT, Target(kecamatan_id=kecamatan_id, tps_id=tps.id if tps else None)),
            lazy_gettext("Anda tidak boleh melapor untuk tempat ini"))
    when = step_time(occurred_at, "occurred_at", session=session)
    place_lat, place_lon = (tps.lat, tps.lon) if tps else (lat, lon)
    station = nearest_station(session, place_lat, place_lon)
    incident = HealthIncident(
        occurred_at=when, reported_at=step_time(None, session=session), tps_id=tps.id if tps else None,
        lat=None if tps else lat, lon=None if tps else lon, patient_kind=kind, complaint=complaint,
        triage=level, status=S.REPORTED, medic_station_id=station.id if station else None,
        patient_name=(patient_name or "").strip() or None, notes=(notes or "").strip() or None,
        reported_by_id=actor.user_id,
        drill=bool(tps and tps.drill),  # at a TPS in a drill, the incident is part of it
    )
    session.add(incident)
    audit(session, actor, "incident.reported", incident, None)
    raise_event(session, _incident_event(EventKind.INCIDENT_REPORTED, incident, kecamatan_id))
    commit(session)
    return incident


def _incident_event(kind: EventKind, incident: HealthIncident, kecamatan_id: int | None, **extra) -> Event:
    """The event of a change to an incident: ids and codes only (no patient, no complaint)."""
    return Event(kind, "health_incident", incident.id, kecamatan_id, {
        "triage": incident.triage.value, "status": incident.status.value, "tps_id": incident.tps_id,
        "medic_station_id": incident.medic_station_id, "reported_by_id": incident.reported_by_id,
        "referral_facility_id": incident.referral_facility_id, "drill": incident.drill, **extra})


def incident_kecamatan_id(incident: HealthIncident) -> int | None:
    """Its TPS's kecamatan, else its medic station's (its SQL twin: `read_scope.incident_kecamatan`)."""
    if incident.tps is not None:
        return incident.tps.kelurahan.kecamatan_id
    return incident.medic_station.kecamatan_id if incident.medic_station else None


def incident_target(incident: HealthIncident) -> Target:
    """What the permissions know of an incident: its kecamatan and its station."""
    return Target(kecamatan_id=incident_kecamatan_id(incident), medic_station_id=incident.medic_station_id)


@in_unit_of_work
def advance_incident(
    session: Session, actor: Actor, incident_id: int, to_status: IncidentStatus, *,
    referral_facility_id: int | None = None, notes: str | None = None, at: datetime | None = None,
) -> HealthIncident:
    incident = load(session, HealthIncident, incident_id, "Kejadian", for_step=True)
    require(may(actor, Permission.INCIDENT_CARE, incident_target(incident)),
            lazy_gettext("Kejadian ini bukan wewenang pos Anda"))
    to_status = S(to_status)
    require_transition(lifecycle.may_move(incident.status, to_status), "Kejadian", incident.status, to_status)
    facility = None
    if to_status == S.REFERRED:
        if referral_facility_id is None:
            raise ValidationFailed(lazy_gettext("Pilih fasilitas rujukan"),
                                   {"referral_facility_id": lazy_gettext("Fasilitas rujukan wajib dipilih.")})
        facility = session.get(HealthFacility, referral_facility_id)
        if facility is None:
            raise ValidationFailed(lazy_gettext("Fasilitas rujukan tidak ditemukan"),
                                   {"referral_facility_id": lazy_gettext("Fasilitas tidak ditemukan.")})
    before = snapshot(incident)
    setattr(incident, STEP_TIME_FIELD[to_status], step_time(at, session=session))
    incident.status = to_status
    if facility is not None:
        incident.referral_facility_id = facility.id
    if notes and notes.strip():
        incident.notes = (incident.notes + "\n" if incident.notes else "") + notes.strip()
    audit(session, actor, f"incident.{to_status.value}", incident, before)
    kind = EventKind.INCIDENT_CLOSED if to_status == S.CLOSED else EventKind.INCIDENT_STEPPED
    raise_event(session, _incident_event(kind, incident, incident_kecamatan_id(incident)))
    commit(session)
    return incident


@in_unit_of_work
def correct_incident(session: Session, actor: Actor, incident_id: int, reason: str) -> HealthIncident:
    """Undo a closing ("Selesai" tapped by mistake) within lifecycle.REOPEN_WINDOW of it: the incident goes
    back to the care step it had reached and its closing time is cleared. Who may close it may correct it;
    a reason is required; audited as `incident.corrected` with before/after and the reason, as
    `delivery.corrected` is, and the station hears of it again (`incident.reopened`)."""
    incident = load(session, HealthIncident, incident_id, "Kejadian", for_step=True)
    kecamatan_id = incident_kecamatan_id(incident)
    require(may(actor, Permission.INCIDENT_CARE, incident_target(incident)),
            lazy_gettext("Kejadian ini bukan wewenang pos Anda"))
    errors: dict[str, str] = {}
    reason = correction_reason(reason, errors)
    if errors:
        raise ValidationFailed(lazy_gettext("Koreksi tidak valid"), errors)
    if not lifecycle.may_reopen(incident.status, incident.closed_at, clock_now(session)):
        hours = int(lifecycle.REOPEN_WINDOW.total_seconds() // 3600)
        raise InvalidTransition(
            lazy_gettext("Hanya kejadian yang selesai kurang dari {n} jam lalu yang bisa dibuka lagi", n=hours),
            {"status": lazy_gettext("Kejadian berstatus {status}.", status=incident.status.label)})
    before = snapshot(incident)
    incident.status = lifecycle.status_before_close(incident.treated_at is not None, incident.referred_at is not None)
    incident.closed_at = None
    audit(session, actor, "incident.corrected", incident, before, extra={"correction_reason": reason})
    raise_event(session, _incident_event(EventKind.INCIDENT_REOPENED, incident, kecamatan_id))
    commit(session)
    return incident


@in_unit_of_work
def assign_medic_station(session: Session, actor: Actor, incident_id: int, station_id: int) -> HealthIncident:
    """Hand an incident to another station: coordinators and admins only."""
    incident = load(session, HealthIncident, incident_id, "Kejadian", for_step=True)
    station = load(session, MedicStation, station_id, "Pos kesehatan")
    require(may(actor, Permission.INCIDENT_ASSIGN, Target(kecamatan_id=incident_kecamatan_id(incident)))
            and may(actor, Permission.INCIDENT_ASSIGN, Target(kecamatan_id=station.kecamatan_id)),
            lazy_gettext("Hanya koordinator yang dapat memindahkan kejadian"))
    if incident.status == S.CLOSED:
        raise InvalidTransition(lazy_gettext("Kejadian sudah selesai"))
    before = snapshot(incident)
    previous = incident.medic_station_id
    incident.medic_station_id = station.id
    audit(session, actor, "incident.assigned", incident, before)
    raise_event(session, _incident_event(EventKind.INCIDENT_REASSIGNED, incident, incident_kecamatan_id(incident),
                                         previous_station_id=previous))
    commit(session)
    return incident


__all__ = ["advance_incident", "assign_medic_station", "correct_incident", "nearest_station", "report_incident"]
