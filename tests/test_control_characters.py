"""Control characters in free text (issue 24, finding 1): refused on input by the forms and the API (one rule,
`siaga.fields.CONTROL_CHARACTERS`), and taken out by the exports for rows stored before (an XLSX cannot hold
them: the export was a 500)."""
import csv
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from logistics.actor import Actor
from logistics.models import Delivery, DeliveryStatus, HealthIncident, TpsStatus
from logistics.services.api_tokens import create_token
from logistics.services.deliveries import advance_delivery
from logistics.services.incidents import report_incident
from logistics.services.tps_status import advance_tps_status
from tests.factories import meal
from tests.field_client import log_in_as, post_form
from tests.test_auth import login

REPORT = {"patient_kind": "officer", "complaint": "pingsan", "triage": "merah", "notes": "pusing\x0bmual"}


def test_a_report_with_a_control_character_is_refused_with_the_field_named(client, session):
    log_in_as(client, session, "petugas")
    before = session.scalar(select(func.count()).select_from(HealthIncident))
    response = post_form(client, "/lapangan/kejadian", REPORT, json=True)
    assert response.status_code == 422
    assert "notes" in response.get_json()["error"]["fields"]
    assert session.scalar(select(func.count()).select_from(HealthIncident)) == before
    # Tabs and line breaks are text, not control: a note over several lines goes in.
    assert post_form(client, "/lapangan/kejadian", {**REPORT, "notes": "pusing\r\n\tmual"}, json=True).status_code == 200


def test_the_api_refuses_a_control_character_in_received_by(client, session, actor_for):
    officer = actor_for("petugas")
    delivery = meal(session, officer.tps_id)
    _token, secret = create_token(session, Actor.system("test"), scopes=["write:deliveries"], username="petugas")
    response = client.post(f"/api/v1/deliveries/{delivery.id}/steps", headers={"Authorization": f"Bearer {secret}"},
                           json={"status": "delivered", "quantity_received": 8, "received_by": "Ketua\x1bKPPS"})
    assert response.status_code == 422 and "received_by" in response.get_json()["error"]["fields"]
    session.expire_all()
    assert session.get(Delivery, delivery.id).received_by is None


def test_exports_take_control_characters_out_of_rows_stored_before(client, session, actor_for):
    officer = actor_for("petugas")
    advance_tps_status(session, officer, officer.tps_id, TpsStatus.OPEN)
    # Rows written before input refused control characters (the services themselves do not look).
    report_incident(session, officer, patient_kind="officer", complaint="pingsan", triage="hijau",
                    tps_id=officer.tps_id, notes="pusing\x0bmual")
    report_incident(session, officer, patient_kind="officer", complaint="pingsan", triage="hijau",
                    tps_id=officer.tps_id, notes="\x01=1+1")
    delivery = meal(session, officer.tps_id)
    advance_delivery(session, officer, delivery.id, DeliveryStatus.DELIVERED, quantity_received=8,
                     received_by="Ketua\x0bKPPS")
    login(client, "koordinator")
    for subject in ("incidents", "deliveries"):
        response = client.get(f"/dashboard/export/{subject}.xlsx")
        assert response.status_code == 200, subject
        values = {c.value for row in load_workbook(io.BytesIO(response.data)).active.iter_rows() for c in row}
        assert ("pusingmual" if subject == "incidents" else "KetuaKPPS") in values, subject
        text = client.get(f"/dashboard/export/{subject}.csv").get_data(as_text=True)
        assert "\x0b" not in text and "\x01" not in text
    notes = {row["catatan"] for row in csv.DictReader(io.StringIO(
        client.get("/dashboard/export/incidents.csv").get_data(as_text=True).lstrip("\ufeff")))}
    assert "'=1+1" in notes  # a formula hidden behind a control character is still neutralised
