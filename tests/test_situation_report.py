"""The situation report (maps/situation_report.py): the dashboard on paper, for the same moment."""
import io
import re
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import func, select

from logistics.models import Kecamatan, SituationReport, TpsStatus
from logistics.services.incidents import report_incident
from logistics.services.tps_status import advance_tps_status
from maps.situation_report import make_situation_reports
from siaga.election import election_window
from tests.test_auth import login
from tests.test_map_pages import row_of


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _seed_day(session, actor_for):
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    start, _end = election_window()
    for triage in ("merah", "kuning", "hijau"):
        report_incident(session, petugas, patient_kind="officer", complaint="sesak napas", triage=triage,
                        patient_name="Budi Rahasia", tps_id=petugas.tps_id, occurred_at=start + timedelta(hours=9))


def test_the_report_holds_the_dashboards_figures_charts_and_zone(client, session, actor_for):
    _seed_day(session, actor_for)
    login(client, "koordinator")
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="report-now"' in html and not re.search(r"\sstyle=", html)  # the charts' SVG under the CSP
    totals = row_of(html, "total")
    response = client.get("/dashboard/laporan.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    # The figures: the total line of the dashboard's table, cell for cell, in the same order.
    lines = text.splitlines()
    columns = ("tps_total", "opened_closed", "meal_pagi", "meal_siang", "meal_malam", "meal_snack", "late",
               "incidents_hijau", "incidents_kuning", "incidents_merah", "incidents_hitam", "staffed")
    after = lines.index("Jumlah") + 1  # the table's last line: one cell per line of text
    assert lines[after:after + len(columns)] == [totals[c] for c in columns], (lines[after:after + 12], totals)
    assert totals["incidents_merah"] == "1" and totals["opened_closed"].startswith("1 /")
    # When: the dashboard's "computed" time, with the zone written out.
    computed = re.search(r'id="computed-at">([\d:]+) WIB<', html).group(1)
    assert f"{computed} WIB (UTC+07:00)" in text
    # The charts, as drawings: their titles, legends and axis labels are in the page's text.
    for title in ("Konsumsi diterima dibanding rencana, per ronde", "Langkah TPS sepanjang hari",
                  "Kejadian per jam menurut triase (WIB)", "Waktu sampai respons dan sampai ditangani"):
        assert title in text.replace("\n", " "), title
    assert "target respons 10 mnt" in text and "Petugas hadir" in text
    # The open merah and kuning incidents, without names or complaints; hijau not listed.
    assert "Kejadian merah dan kuning yang masih terbuka (2)" in text
    assert "Budi Rahasia" not in text and "sesak napas" not in text
    # The column heads wrap between words inside their columns: no word cut ("berpetuga" / "s"), and the
    # incidents' last head on two lines rather than one running past the table's edge.
    assert "berpetugas" in lines and "berpetuga" not in lines
    assert "Terlambat" in lines and "Terlamba" not in lines
    assert "Menit sejak dilaporkan" not in lines and "dilaporkan" in lines
    # English on request.
    english = _text(client.get("/dashboard/laporan.pdf?lang=en").data)
    assert "Situation report" in english and "WIB (UTC+07:00)" in english


def test_the_worker_makes_each_hours_reports_once_and_the_dashboard_lists_them(client, session, actor_for, app):
    _seed_day(session, actor_for)
    start, end = election_window()
    with app.test_request_context():
        assert make_situation_reports(session, start - timedelta(hours=1)) == 0  # not on the election day
        made = make_situation_reports(session, start + timedelta(hours=10, minutes=5), languages=("id",))
        kecamatan = session.scalar(select(func.count(Kecamatan.id)))
        assert made == 1 + kecamatan  # the kota and each kecamatan
        assert make_situation_reports(session, start + timedelta(hours=10, minutes=40), languages=("id",)) == 0
    gerunggang = session.scalar(select(Kecamatan.id).where(Kecamatan.nama == "Gerunggang"))
    own = session.scalar(select(SituationReport.id).where(SituationReport.scope == "kecamatan",
                                                          SituationReport.area_id == gerunggang))
    other = session.scalar(select(SituationReport.id).where(SituationReport.scope == "kecamatan",
                                                            SituationReport.area_id != gerunggang))
    city = session.scalar(select(SituationReport.id).where(SituationReport.scope == "kota"))
    login(client, "koordinator")
    assert f"/dashboard/laporan/{city}.pdf" in client.get("/dashboard").get_data(as_text=True)
    assert "10:00 WIB" in client.get("/dashboard").get_data(as_text=True)
    login(client, "camat-gerunggang")
    html = client.get("/dashboard").get_data(as_text=True)
    assert f"/dashboard/laporan/{own}.pdf" in html and f"/dashboard/laporan/{city}.pdf" not in html
    assert "Kecamatan Gerunggang" in _text(client.get(f"/dashboard/laporan/{own}.pdf").data)
    assert client.get(f"/dashboard/laporan/{other}.pdf").status_code == 403
    assert client.get(f"/dashboard/laporan/{city}.pdf").status_code == 403
    assert client.get("/dashboard/laporan/99999999999.pdf").status_code == 404
