"""Health incidents on the field pages: the quick report, the medic station's queue, the incident page."""
import pytest
from sqlalchemy import func, select

from logistics.models import HealthFacility, HealthIncident, IncidentStatus, MedicStation
from logistics.services.incidents import assign_medic_station, report_incident
from logistics.rules.time_zones import WIB as DEMO_ZONE
WIB = DEMO_ZONE.tz  # the test city (Pangkalpinang) keeps WIB
from tests.factories import other_tps, tps_not_covered_by, save
from tests.field_client import log_in_as, post_form

REPORT = {"patient_kind": "officer", "complaint": "pingsan", "triage": "merah", "patient_name": "Budi",
          "notes": "jatuh saat menghitung"}


def count_incidents(session) -> int:
    return session.scalar(select(func.count()).select_from(HealthIncident))


def station(session, name: str) -> MedicStation:
    return session.scalar(select(MedicStation).where(MedicStation.name == name))


def test_report_form_lists_complaints_and_triage_hints(client, session):
    log_in_as(client, session, "petugas")
    page = client.get("/lapangan/kejadian/baru").get_data(as_text=True)
    for complaint in ("kelelahan", "pusing/hipertensi", "nyeri dada", "pingsan", "sesak napas", "cedera", "lainnya"):
        assert f'value="{complaint}"' in page
    assert "TPS 001 Semabung Lama" in page and "Gawat: tidak sadar" in page


def test_officer_reports_at_their_tps_and_the_nearest_station_is_assigned(client, session):
    user = log_in_as(client, session, "petugas")
    before = count_incidents(session)
    response = post_form(client, "/lapangan/kejadian", REPORT, json=True)
    assert response.status_code == 200
    incident = session.scalars(select(HealthIncident).order_by(HealthIncident.id.desc())).first()
    assert count_incidents(session) == before + 1
    assert incident.tps_id == user.tps_id and incident.patient_name == "Budi"
    assert incident.medic_station.name in response.get_json()["message"]
    assert response.get_json()["redirect"] == f"/lapangan/kejadian/{incident.id}"
    page = client.get(f"/lapangan/kejadian/{incident.id}").get_data(as_text=True)
    assert "pingsan" in page and "Menuju / menangani" not in page  # the officer views, the medics act


def test_the_same_report_sent_five_times_is_one_incident(client, session):
    log_in_as(client, session, "petugas")
    before = count_incidents(session)
    answers = [post_form(client, "/lapangan/kejadian", REPORT, key="offline-report-0001", json=True)
               for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.get_json()["redirect"] for a in answers}) == 1
    assert count_incidents(session) == before + 1


@pytest.mark.parametrize("overrides, field", [
    ({"complaint": "sakit gigi"}, "complaint"), ({"complaint": ""}, "complaint"),
    ({"triage": "ungu"}, "triage"), ({"patient_kind": "alien"}, "patient_kind"),
    ({"tps_id": "abc"}, "tps_id"), ({"patient_name": "x" * 200}, "patient_name"),
])
def test_bad_report_gets_a_message_per_field(client, session, overrides, field):
    log_in_as(client, session, "petugas")
    before = count_incidents(session)
    response = post_form(client, "/lapangan/kejadian", {**REPORT, **overrides}, json=True)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert count_incidents(session) == before


def test_officer_cannot_report_for_another_tps(client, session):
    user = log_in_as(client, session, "petugas")
    elsewhere = other_tps(session, user.tps_id)
    response = post_form(client, "/lapangan/kejadian", {**REPORT, "tps_id": str(elsewhere.id)})
    assert response.status_code == 403


def _incident_for_medis(session, actor_for):
    medis = actor_for("medis")
    gerunggang = session.get(MedicStation, medis.medic_station_id)
    tps = other_tps(session, 0, "Gerunggang")
    incident = report_incident(session, actor_for("koordinator"), patient_kind="voter", complaint="sesak napas",
                               triage="kuning", tps_id=tps.id)
    if incident.medic_station_id != gerunggang.id:
        incident.medic_station_id = gerunggang.id
        save(session)
    return incident


def test_station_lists_open_incidents_most_urgent_first(client, session, actor_for):
    yellow = _incident_for_medis(session, actor_for)
    red = _incident_for_medis(session, actor_for)
    red.triage = "merah"
    save(session)
    log_in_as(client, session, "medis")
    page = client.get("/lapangan/pos", follow_redirects=True).get_data(as_text=True)
    assert page.index(f'id="kejadian-{red.id}"') < page.index(f'id="kejadian-{yellow.id}"')
    assert f"Dilaporkan {red.reported_at.astimezone(WIB):%H:%M} WIB ·" in page and "WIB WIB" not in page


def test_medic_takes_an_incident_through_to_referral_with_times(client, session, actor_for):
    incident = _incident_for_medis(session, actor_for)
    log_in_as(client, session, "medis")
    url = f"/lapangan/kejadian/{incident.id}"
    assert post_form(client, url + "/status", {"to_status": "responding"}).status_code == 303
    no_facility = post_form(client, url + "/status", {"to_status": "referred"}, json=True)
    assert no_facility.status_code == 422 and "referral_facility_id" in no_facility.get_json()["error"]["fields"]
    hospital = session.scalar(select(HealthFacility).where(HealthFacility.name.contains("Depati Hamzah")))
    response = post_form(client, url + "/status", {"to_status": "referred", "referral_facility_id": str(hospital.id)})
    assert response.status_code == 303
    session.refresh(incident)
    assert incident.status == IncidentStatus.REFERRED and incident.referral_facility_id == hospital.id
    assert incident.reported_at <= incident.responding_at <= incident.referred_at
    page = client.get(url).get_data(as_text=True)
    assert hospital.name in page and "Waktu respons" in page and "0 menit" in page
    skip = post_form(client, url + "/status", {"to_status": "treated_on_site"}, json=True)
    assert skip.status_code == 409  # illegal step: a message, not a 500


def test_coordinator_reassigns_an_incident_to_another_station(client, session, actor_for):
    incident = report_incident(session, actor_for("petugas"), patient_kind="officer", complaint="kelelahan",
                               triage="hijau", tps_id=actor_for("petugas").tps_id)
    target = station(session, "Pos Kesehatan Kecamatan Gerunggang")
    assert incident.medic_station_id != target.id
    log_in_as(client, session, "koordinator")
    page = client.get(f"/lapangan/kejadian/{incident.id}").get_data(as_text=True)
    assert "Pindahkan ke pos kesehatan" in page
    response = post_form(client, f"/lapangan/kejadian/{incident.id}/pos", {"medic_station_id": str(target.id)})
    assert response.status_code == 303
    session.refresh(incident)
    assert incident.medic_station_id == target.id


# --- 403 outside one's own scope ------------------------------------------------------------------

def test_medic_cannot_see_or_act_on_another_stations_incident(client, session, actor_for):
    medis = actor_for("medis")
    incident = report_incident(session, actor_for("koordinator"), patient_kind="officer", complaint="kelelahan",
                               triage="hijau", tps_id=tps_not_covered_by(session, medis.medic_station_id).id)
    assert incident.medic_station_id != medis.medic_station_id
    log_in_as(client, session, "medis")
    assert client.get(f"/lapangan/kejadian/{incident.id}").status_code == 403
    assert post_form(client, f"/lapangan/kejadian/{incident.id}/status", {"to_status": "responding"}).status_code == 403
    assert client.get(f"/lapangan/pos/{incident.medic_station_id}").status_code == 403
    assert post_form(client, f"/lapangan/kejadian/{incident.id}/pos",
                     {"medic_station_id": str(medis.medic_station_id)}).status_code == 403
    session.refresh(incident)
    assert incident.status == IncidentStatus.REPORTED


def test_officer_cannot_see_another_tps_incident(client, session, actor_for):
    incident = _incident_for_medis(session, actor_for)
    log_in_as(client, session, "petugas")
    assert client.get(f"/lapangan/kejadian/{incident.id}").status_code == 403
    assert post_form(client, f"/lapangan/kejadian/{incident.id}/status", {"to_status": "responding"}).status_code == 403


def test_kecamatan_coordinator_cannot_reassign_outside_their_kecamatan(client, session, actor_for):
    incident = report_incident(session, actor_for("petugas"), patient_kind="officer", complaint="kelelahan",
                               triage="hijau", tps_id=actor_for("petugas").tps_id)  # Bukit Intan
    log_in_as(client, session, "camat-gerunggang")
    assert client.get(f"/lapangan/kejadian/{incident.id}").status_code == 403
    target = station(session, "Pos Kesehatan Kecamatan Gerunggang")
    assert post_form(client, f"/lapangan/kejadian/{incident.id}/pos",
                     {"medic_station_id": str(target.id)}).status_code == 403


def test_a_kecamatan_coordinator_sees_on_a_station_page_only_their_kecamatans_incidents(client, session, actor_for):
    """A station of Gerunggang may be sent an incident of Bukit Intan; Gerunggang's coordinator may open the
    station's page but not that incident (issue 24, finding 7): the list is scoped by the read filter."""
    elsewhere = report_incident(session, actor_for("petugas"), patient_kind="officer", complaint="kelelahan",
                                triage="merah", tps_id=actor_for("petugas").tps_id, patient_name="Orang Bukit")
    target = station(session, "Pos Kesehatan Kecamatan Gerunggang")
    assign_medic_station(session, actor_for("koordinator"), elsewhere.id, target.id)
    log_in_as(client, session, "camat-gerunggang")
    page = client.get(f"/lapangan/pos/{target.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/lapangan/kejadian/{elsewhere.id}" not in html and "Orang Bukit" not in html
    log_in_as(client, session, "koordinator")  # the city sees it, on the same page
    assert f"/lapangan/kejadian/{elsewhere.id}" in client.get(f"/lapangan/pos/{target.id}").get_data(as_text=True)


@pytest.mark.parametrize("username", ["mitra", "kurir"])
def test_partner_and_courier_cannot_open_an_incident(client, session, actor_for, username):
    incident = _incident_for_medis(session, actor_for)
    log_in_as(client, session, username)
    assert client.get(f"/lapangan/kejadian/{incident.id}").status_code == 403
    assert post_form(client, f"/lapangan/kejadian/{incident.id}/status", {"to_status": "responding"}).status_code == 403


def test_unknown_incident_is_404(client, session):
    log_in_as(client, session, "medis")
    assert client.get("/lapangan/kejadian/999999").status_code == 404


def test_medic_pages_in_english(client, session, actor_for):
    _incident_for_medis(session, actor_for)
    log_in_as(client, session, "medis")
    client.get("/bahasa/en")
    page = client.get("/lapangan/pos", follow_redirects=True).get_data(as_text=True)
    assert "Open incidents" in page and "Responding" in page
