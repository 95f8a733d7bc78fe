"""An incident at a TPS is where its TPS is: the effective position in the API and the CSV export,
while `lat`/`lon` keep meaning "the position given with the report"."""
import csv
import io

from sqlalchemy import select

from logistics.models import HealthIncident, Tps
from logistics.services.incidents import report_incident
from tests.test_auth import login


def _two_incidents(session, actor_for):
    petugas = actor_for("petugas")
    tps = session.get(Tps, petugas.tps_id)
    at_tps = report_incident(session, petugas, patient_kind="officer", complaint="pusing", triage="hijau", tps_id=tps.id)
    at_point = report_incident(session, actor_for("koordinator"), patient_kind="voter", complaint="pingsan",
                               triage="kuning", lat=-2.1301, lon=106.1102)
    return tps, at_tps, at_point


def test_effective_position_in_python_and_sql_agree(session, actor_for):
    tps, at_tps, at_point = _two_incidents(session, actor_for)
    assert (at_tps.lat, at_tps.lon) == (None, None)
    assert (at_tps.effective_lat, at_tps.effective_lon) == (tps.lat, tps.lon)
    assert (at_point.effective_lat, at_point.effective_lon) == (-2.1301, 106.1102)
    rows = dict((i, (lat, lon)) for i, lat, lon in session.execute(
        select(HealthIncident.id, HealthIncident.effective_lat, HealthIncident.effective_lon)
        .where(HealthIncident.id.in_([at_tps.id, at_point.id]))))
    assert rows == {at_tps.id: (tps.lat, tps.lon), at_point.id: (-2.1301, 106.1102)}


def test_csv_export_carries_the_effective_position(client, session, actor_for):
    tps, at_tps, at_point = _two_incidents(session, actor_for)
    login(client, "koordinator")
    text = client.get("/dashboard/export/incidents.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(text))}
    assert rows[at_tps.id]["lat"] == "" and float(rows[at_tps.id]["lat_efektif"]) == tps.lat
    assert float(rows[at_tps.id]["lon_efektif"]) == tps.lon
    assert float(rows[at_point.id]["lat"]) == float(rows[at_point.id]["lat_efektif"]) == -2.1301
    assert all(r["lat_efektif"] and r["lon_efektif"] for r in rows.values())
