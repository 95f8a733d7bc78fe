"""Health incidents through the service layer."""
import pytest
from sqlalchemy import select

from logistics.errors import InvalidTransition, PermissionDenied, ValidationFailed
from logistics.models import HealthFacility, HealthIncident, IncidentStatus as S, MedicStation, Tps
from logistics.rules.geo import haversine_m
from logistics.services.incidents import advance_incident, assign_medic_station, report_incident
from tests.factories import other_tps


def report(session, actor, **overrides):
    values = dict(patient_kind="officer", complaint="kelelahan", triage="kuning", tps_id=actor.tps_id)
    values.update(overrides)
    return report_incident(session, actor, **values)


def test_report_assigns_the_nearest_medic_station(session, actor_for):
    petugas = actor_for("petugas")
    incident = report(session, petugas, patient_name="Budi", notes="Pingsan setelah 14 jam bertugas")
    tps = session.get(Tps, petugas.tps_id)
    stations = session.scalars(select(MedicStation)).all()
    closest = min(stations, key=lambda s: haversine_m(tps.lat, tps.lon, s.lat, s.lon))
    assert incident.medic_station_id == closest.id
    assert incident.status == S.REPORTED and incident.reported_at is not None
    assert incident.reported_by_id == petugas.user_id


def test_report_by_position_without_tps(session, actor_for):
    incident = report(session, actor_for("koordinator"), tps_id=None, lat=-2.1, lon=106.1)
    assert incident.tps_id is None and incident.medic_station_id is not None


@pytest.mark.parametrize("overrides, field", [
    ({"triage": "ungu"}, "triage"),
    ({"patient_kind": "alien"}, "patient_kind"),
    ({"complaint": "   "}, "complaint"),
    ({"tps_id": None}, "place"),
    ({"tps_id": None, "lat": 95.0, "lon": 106.0}, "place"),
    ({"tps_id": 999_999}, "tps_id"),
])
def test_bad_report_names_the_field(session, actor_for, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        report(session, actor_for("koordinator"), **{"tps_id": actor_for("petugas").tps_id, **overrides})
    assert field in caught.value.fields


def test_field_officer_reports_only_for_own_tps(session, actor_for):
    petugas = actor_for("petugas")
    with pytest.raises(PermissionDenied):
        report(session, petugas, tps_id=other_tps(session, petugas.tps_id).id)


def test_partner_cannot_report(session, actor_for):
    with pytest.raises(PermissionDenied):
        report(session, actor_for("mitra"), tps_id=actor_for("petugas").tps_id)


def test_cannot_close_before_anyone_responded(session, actor_for):
    incident = report(session, actor_for("petugas"))
    for target in (S.CLOSED, S.TREATED_ON_SITE, S.REFERRED):
        with pytest.raises(InvalidTransition):
            advance_incident(session, actor_for("admin"), incident.id, target)
    assert session.get(HealthIncident, incident.id).status == S.REPORTED


def test_full_care_flow_is_timestamped(session, actor_for):
    petugas = actor_for("petugas")
    incident = report(session, petugas, triage="merah", complaint="nyeri dada")
    medic = actor_for("admin")
    advance_incident(session, medic, incident.id, S.RESPONDING)
    hospital = session.scalar(select(HealthFacility).where(HealthFacility.code == "R1971021"))
    with pytest.raises(ValidationFailed):
        advance_incident(session, medic, incident.id, S.REFERRED)
    advance_incident(session, medic, incident.id, S.REFERRED, referral_facility_id=hospital.id, notes="Ambulans")
    advance_incident(session, medic, incident.id, S.CLOSED)
    assert incident.reported_at <= incident.responding_at <= incident.referred_at <= incident.closed_at
    assert incident.referral_facility.name == "RSUD Depati Hamzah"
    assert incident.notes == "Ambulans"
    with pytest.raises(InvalidTransition):
        advance_incident(session, medic, incident.id, S.RESPONDING)


def test_only_the_assigned_stations_medics_handle_it(session, actor_for):
    medis = actor_for("medis")
    gerunggang_tps = other_tps(session, 0, "Gerunggang")
    camat = actor_for("camat-gerunggang")
    incident = report(session, camat, tps_id=gerunggang_tps.id)
    # The demo medic's station is outside Gerunggang (the demo officer's nearest): the city coordinator hands it over.
    assign_medic_station(session, actor_for("koordinator"), incident.id, medis.medic_station_id)
    advance_incident(session, medis, incident.id, S.RESPONDING)

    elsewhere = report(session, actor_for("koordinator"), tps_id=other_tps(session, 0, "Pangkal Balam").id)
    assert elsewhere.medic_station_id != medis.medic_station_id
    with pytest.raises(PermissionDenied):
        advance_incident(session, medis, elsewhere.id, S.RESPONDING)


def test_kecamatan_coordinator_cannot_reassign_outside_its_kecamatan(session, actor_for):
    incident = report(session, actor_for("koordinator"), tps_id=other_tps(session, 0, "Pangkal Balam").id)
    with pytest.raises(PermissionDenied):
        assign_medic_station(session, actor_for("camat-gerunggang"), incident.id, actor_for("medis").medic_station_id)
