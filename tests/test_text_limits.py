"""Free-text fields: `maxlength` and the visible counter come from the form schema, and the server takes
exactly that much (one limit, no silent cut)."""
import re

from sqlalchemy import select

from field.health_checks import CheckinForm, ScreeningForm
from field.incidents import IncidentReportForm
from logistics.models import HealthIncident, Person
from logistics.queries.coverage import tps_covered_by
from siaga.fields import NOTES_MAX
from tests.field_client import csrf_from as csrf, log_in_as as logged_in


def limit_of(html: str, field_id: str) -> int:
    tag = re.search(r'<(?:textarea|input)[^>]*\bid="' + re.escape(field_id) + r'"[^>]*>', html).group(0)
    return int(re.search(r'maxlength="(\d+)"', tag).group(1))


def counter(html: str, field_id: str) -> str:
    return re.search(r'<small class="char-count" id="' + re.escape(field_id) + r'-count"[^>]*>([^<]*)</small>', html).group(1)


def test_incident_notes_limit_and_counter_match_the_schema(client, session, actor_for):
    logged_in(client, session, "petugas")
    html = client.get("/lapangan/kejadian/baru").get_data(as_text=True)
    limit = IncidentReportForm._declared_fields["notes"].max_length
    assert limit == NOTES_MAX and limit_of(html, "notes") == limit
    assert counter(html, "notes") == f"0 dari {limit} karakter"
    assert 'aria-describedby="notes-count"' in html
    assert limit_of(html, "patient_name") == IncidentReportForm._declared_fields["patient_name"].max_length
    assert "js/char-count.js" in html
    # The server keeps a note of exactly the limit whole, and refuses one character more with a message.
    petugas = actor_for("petugas")
    token = csrf(client, "/lapangan/kejadian/baru")
    base = {"csrf_token": token, "patient_kind": "officer", "complaint": "kelelahan", "triage": "hijau"}
    client.post("/lapangan/kejadian", data={**base, "notes": "x" * limit})
    kept = session.scalar(select(HealthIncident).where(HealthIncident.tps_id == petugas.tps_id)
                          .order_by(HealthIncident.id.desc()))
    assert len(kept.notes) == limit
    too_long = client.post("/lapangan/kejadian", data={**base, "notes": "x" * (limit + 1)})
    assert too_long.status_code == 422 and f"Paling banyak {limit} karakter." in too_long.get_data(as_text=True)


def test_medic_notes_limits_come_from_their_schemas(client, session, actor_for):
    medis = actor_for("medis")
    logged_in(client, session, "medis")
    html = client.get("/lapangan/kesehatan/?tanggal=2025-08-27").get_data(as_text=True)
    ids = re.findall(r'id="(catatan-\d+)"', html)
    assert ids and all(limit_of(html, i) == CheckinForm._declared_fields["catatan"].max_length for i in ids)
    assert counter(html, ids[0]).startswith("0 dari ")
    officer = session.scalar(select(Person).where(Person.tps_id.in_(tps_covered_by(session, medis.medic_station_id)))
                             .order_by(Person.code))
    html = client.get(f"/lapangan/kesehatan/skrining/{officer.id}").get_data(as_text=True)
    assert limit_of(html, "catatan") == ScreeningForm._declared_fields["catatan"].max_length
