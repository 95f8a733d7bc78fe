"""The /map page, the dashboard, the TPS record page and the exports."""
import csv
import io
import re
from datetime import datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import delete, func, select

from logistics.models import DrillClock, Kecamatan, Kelurahan, Tps, TpsStatus
from logistics.services.incidents import report_incident
from logistics.services.tps_status import advance_tps_status
from logistics.rules.time_zones import WIB as DEMO_ZONE
WIB = DEMO_ZONE.tz  # the test city (Pangkalpinang) keeps WIB
from tests.test_auth import login

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'


def test_coordinators_land_on_the_dashboard(client):
    assert login(client, "koordinator").headers["Location"] == "/dashboard"


def test_map_page_is_self_hosted_and_csp_strict(client, session):
    assert client.get("/map").status_code == 302
    login(client, "koordinator")
    response = client.get("/map")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "https://tile.openstreetmap.org" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html) + re.findall(r'<link[^>]*\bhref="([^"]+)"', html)
    # From the app itself, or inline (the tab's icon, a data: URI): nothing from another host.
    assert sources and all((s.startswith("/") and not s.startswith("//")) or s.startswith("data:") for s in sources), sources
    assert "vendor/leaflet/leaflet.js" in html and "leaflet.markercluster.js" in html
    for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html):
        assert f'nonce="{nonce}"' in tag or 'type="application/json"' in tag, tag
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    for layer in ("Batas kecamatan", "Batas kelurahan", "TPS", "Kejadian kesehatan terbuka",
                  "Pos kesehatan \\u0026 jangkauan", "Fasilitas kesehatan"):
        assert f'"{layer}" :' in html, layer  # in the layer control
    assert 'class="map-legend"' in html and "Pos kesehatan &amp; jangkauan</li>" in html
    # The TPS are not in the page: they come from the GeoJSON endpoints per viewport.
    some_code = session.scalar(select(Tps.code).limit(1))
    assert some_code not in html


def test_vendored_files_are_served(client):
    for path in ("vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css", "vendor/markercluster/leaflet.markercluster.js",
                 "js/siaga-map.js", "css/maps.css"):
        assert client.get("/maps/static/" + path).status_code == 200, path


def test_map_fits_a_kecamatan_coordinator_to_its_kecamatan(client, session):
    login(client, "camat-gerunggang")
    html = client.get("/map").get_data(as_text=True)
    kec = session.scalar(select(Kecamatan).where(Kecamatan.nama == "Gerunggang"))
    assert f"[[{kec.min_lat}, {kec.min_lon}], [{kec.max_lat}, {kec.max_lon}]]" in html


def row_of(html, key):
    match = re.search(rf'<tr data-kecamatan="{key}">(.*?)</tr>', html, re.S)
    return {m[0]: m[1].strip() for m in re.findall(r'data-col="([^"]+)"[^>]*>([^<]*)<', match.group(1))}


def test_dashboard_figures_match_the_database(client, session, actor_for):
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    login(client, "koordinator")
    html = client.get("/dashboard").get_data(as_text=True)
    total = row_of(html, "total")
    opened = session.scalar(select(func.count(Tps.id)).where(Tps.status != TpsStatus.SETUP))
    assert total["tps_total"] == str(session.scalar(select(func.count(Tps.id))))
    assert total["opened_closed"] == f"{opened} / 0"
    kec_id = session.get(Tps, petugas.tps_id).kelurahan.kecamatan_id
    n_kec = session.scalar(select(func.count(Tps.id)).join(Kelurahan).where(Kelurahan.kecamatan_id == kec_id))
    assert row_of(html, kec_id)["tps_total"] == str(n_kec)
    assert 'id="alert-list"' in html and "<svg" in html
    assert 'data-kind="tps_not_open"' in html  # the demo's election day is past


def _chart(html: str) -> dict[int, int]:
    """The incidents-per-hour chart's data table: hour -> all colours' count (the row's last cell)."""
    table = html[html.index('data-chart="incidents-hour"'):]
    table = table[:table.index("</table>")]
    return {int(h): int(n) for h, n in re.findall(
        r'<tr><th scope="row">(\d\d):00</th>(?:<td class="num">\d+</td>)*<td class="num">(\d+)</td></tr>', table)}


def test_dashboard_charts_a_drill_by_its_simulated_hours(client, session, actor_for):
    """A drill plays the day 30 times faster: by the wall clock its incidents would all be one bar, so
    while it plays (its clock is stored) the chart is by the drill day's hours, and says so."""
    from logistics.services.unit_of_work import UnitOfWork

    started = datetime(2025, 8, 27, 10, 0, tzinfo=WIB)  # the test app's election day
    session.add(DrillClock(day=started.date(), started_at=started, speed=30.0))
    session.commit()
    petugas = actor_for("petugas")
    for minutes in (2, 10, 11, 20):  # simulated 06:00, 10:00, 10:30, 15:00
        # As the drill's player reports them: due at that wall-clock moment, stamped on the drill's clock
        # (logistics/services/common.py `step_time`), so what is stored is the simulated moment.
        with UnitOfWork(session, happened_at=started + timedelta(minutes=minutes)) as uow:
            report_incident(session, petugas, patient_kind="officer", complaint="pusing", triage="hijau",
                            tps_id=petugas.tps_id)
            uow.commit()
    login(client, "koordinator")
    html = client.get("/dashboard").get_data(as_text=True)
    bars = _chart(html)
    assert (bars[6], bars[10], bars[15], sum(bars.values())) == (1, 2, 1, 4)
    assert 'id="drill-note"' in html and "30×" in html
    session.execute(delete(DrillClock))  # wiped: the stored times are the drill day's, charted the same
    session.commit()
    html = client.get("/dashboard").get_data(as_text=True)
    bars = _chart(html)
    assert (bars[6], bars[10], bars[15]) == (1, 2, 1) and 'id="drill-note"' not in html


def test_dashboard_shows_a_banner_while_the_worker_is_down(client, session):
    from logistics.models import WorkerHeartbeat
    from siaga.worker import heartbeat

    login(client, "koordinator")
    heartbeat.beat(session)
    assert 'id="worker-down"' not in client.get("/dashboard").get_data(as_text=True)
    session.query(WorkerHeartbeat).delete()
    session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="worker-down"' in page and "Pekerja latar mati: notifikasi &amp; peringatan tertunda." in page
    assert 'id="worker-down"' in client.get("/dashboard?partial=1").get_data(as_text=True)  # the 30 s refresh
    client.get("/bahasa/en")
    assert "Background worker down: notifications and alerts delayed." in client.get("/dashboard").get_data(as_text=True)


def test_dashboard_scope_for_a_kecamatan_coordinator(client, session):
    login(client, "camat-gerunggang")
    html = client.get("/dashboard").get_data(as_text=True)
    assert re.findall(r'<tr data-kecamatan="(\d+)">', html) == [str(session.scalar(
        select(Kecamatan.id).where(Kecamatan.nama == "Gerunggang")))]
    other = session.scalar(select(Kecamatan.id).where(Kecamatan.nama != "Gerunggang"))
    assert client.get(f"/dashboard?kecamatan={other}").status_code == 403
    assert client.get(f"/dashboard/export/tps.csv?kecamatan={other}").status_code == 403


def test_user_text_is_escaped_on_pages(client, session, actor_for):
    petugas = actor_for("petugas")
    report_incident(session, petugas, patient_kind="officer", complaint="pusing", triage="merah",
                    tps_id=petugas.tps_id, patient_name=XSS, notes=XSS)
    login(client, "koordinator")
    html = client.get(f"/tps/{petugas.tps_id}").get_data(as_text=True)
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html and "<script>window.__xss" not in html
    assert "<img src=x" not in html


def test_tps_record_scope(client, session, actor_for):
    petugas = actor_for("petugas")  # Bukit Intan
    login(client, "camat-gerunggang")
    assert client.get(f"/tps/{petugas.tps_id}").status_code == 403
    assert client.get("/tps/999999").status_code == 404


def test_exports_filter_scope_and_neutralise_formulas(client, session, actor_for):
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    report_incident(session, petugas, patient_kind="officer", complaint="=HYPERLINK(\"http://x\")",
                    triage="hijau", tps_id=petugas.tps_id, notes="+cmd|' /C calc'!A0")
    login(client, "koordinator")
    text = client.get("/dashboard/export/tps.csv?status=open").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    opened = session.scalar(select(func.count(Tps.id)).where(Tps.status == TpsStatus.OPEN))
    assert len(rows) == opened and rows[0]["status"] == "Dibuka"
    incidents = list(csv.DictReader(io.StringIO(
        client.get("/dashboard/export/incidents.csv").get_data(as_text=True).lstrip("\ufeff"))))
    mine = [r for r in incidents if r["keluhan"].startswith("'=HYPERLINK")]
    assert mine and mine[0]["catatan"].startswith("'+cmd")
    book = load_workbook(io.BytesIO(client.get("/dashboard/export/incidents.xlsx").data))
    values = [c.value for row in book.active.iter_rows() for c in row]
    assert "'=HYPERLINK(\"http://x\")" in values and not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert client.get("/dashboard/export/tps.csv?status=nonsense").status_code == 422
    assert client.get("/dashboard/export/secrets.csv").status_code == 404
    client.post("/logout")
    login(client, "camat-gerunggang")
    codes = {r["kecamatan"] for r in csv.DictReader(io.StringIO(
        client.get("/dashboard/export/tps.csv").get_data(as_text=True).lstrip("\ufeff")))}
    assert codes == {"Gerunggang"}


def test_every_coordinator_page_has_the_tab_bar_with_the_current_tab(client, session):
    login(client, "koordinator")
    for url, current in [("/map", "Peta langsung"), ("/dashboard", "Dasbor"), ("/rencana/konsumsi", "Rencana konsumsi"),
                         ("/admin/pengguna", "Pengguna")]:
        html = client.get(url).get_data(as_text=True)
        nav = html[html.index('<nav class="subnav"'):html.index("</nav>", html.index('<nav class="subnav"'))]
        assert 'href="/map"' in nav and 'href="/admin/pengguna"' in nav, url
        assert re.search(r'aria-current="page">\s*' + current, nav), url


def test_map_legend_is_a_fold_with_a_toggle_and_groups_are_not_triage_coloured(client, session):
    login(client, "koordinator")
    html = client.get("/map").get_data(as_text=True)
    assert 'class="legend-toggle" aria-expanded="true" aria-controls="legend-body"' in html
    assert 'id="legend-body"' in html
    css = client.get("/maps/static/css/maps.css").get_data(as_text=True)
    assert ".map-legend.folded .legend-body" in css
    assert re.search(r"\.cell-icon,\.marker-cluster\.tps-group\{background:rgba\(69,90,100", css)


def test_map_page_is_small_and_carries_no_boundaries(client, session):
    """Boundaries come by URL (simplified for the zoom), so the page stays small at any size of area."""
    import json

    from logistics.models import Kelurahan as Kel

    login(client, "koordinator")
    response = client.get("/map")
    html = response.get_data(as_text=True)
    assert len(response.data) <= 60 * 1024
    assert '"Polygon"' not in html and "MultiPolygon" not in html
    assert session.scalar(select(Kel.nama).limit(1)) not in html  # no area names either
    config = json.loads(re.search(r'<script type="application/json" id="map-config">(.*?)</script>', html, re.S).group(1))
    assert config["boundaries"]["kecamatan"]["url"] == "/map/data/boundaries/kecamatan.geojson"
    assert set(config["boundaries"]) == {"kota", "kecamatan", "kelurahan"}
    assert '"Batas kota/kabupaten" :' in html


def test_the_dashboards_alert_labels_follow_the_fatigue_hours_set_in_the_admin_page(app, client, session):
    """An alert kind's label is made from the setting it stands for: changing the fatigue hours in
    /admin/pengaturan renames the dashboard's fatigue line (it said "16 jam" whatever the setting)."""
    from logistics.models import AuditEntry, User
    from tests.field_client import csrf_from, log_in_as

    petugas = session.scalar(select(User).where(User.username == "petugas"))
    # The TPS's first post of the day at 06:00; at 23:00 its officers have been on duty 17 hours.
    session.add(AuditEntry(at=datetime(2025, 8, 27, 6, 0, tzinfo=WIB), actor_id=petugas.id, actor_label="petugas",
                           action="tps.officers_present", entity_type="tps", entity_id=petugas.tps_id))
    session.flush()
    app.config["ELECTION_CLOCK"] = "2025-08-27T23:00:00+07:00"
    try:
        log_in_as(client, session, "koordinator")
        html = client.get("/dashboard").get_data(as_text=True)
        assert re.search(r'data-kind="fatigue_alert"><td>Petugas 16 jam bertugas<', html)
        log_in_as(client, session, "admin")
        response = client.post("/admin/pengaturan", data={"csrf_token": csrf_from(client, "/admin/wilayah"),
                                                          "fatigue_alert_hours": "12"})
        assert response.status_code == 303
        log_in_as(client, session, "koordinator")
        html = client.get("/dashboard").get_data(as_text=True)
        assert re.search(r'data-kind="fatigue_alert"><td>Petugas 12 jam bertugas<', html)
        assert "16 jam" not in html
    finally:
        app.config["ELECTION_CLOCK"] = ""
