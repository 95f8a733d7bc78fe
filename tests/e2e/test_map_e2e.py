"""The coordinators' map and dashboard in Chromium at 1366x768: every layer, live updates, no XSS."""
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.models import Kecamatan, Kelurahan, Tps, TpsStatus, User
from logistics.services.incidents import report_incident
from logistics.services.tps_status import advance_tps_status
from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'
LAYERS = ["Batas kecamatan", "Batas kelurahan", "TPS", "Kejadian kesehatan terbuka", "Pos kesehatan & jangkauan",
          "Fasilitas kesehatan"]


@pytest.fixture()
def e2e_session(e2e_database_url):
    """A session on the live server's own database: posts made here are what a phone would post."""
    engine = create_engine(e2e_database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def actor(session, username) -> Actor:
    return Actor.from_user(session.scalar(select(User).where(User.username == username)))


def gerunggang_tps_in_setup(session, offset: int) -> Tps:
    return session.scalars(select(Tps).join(Kelurahan).join(Kecamatan).where(
        Kecamatan.nama == "Gerunggang", Tps.status == TpsStatus.SETUP).order_by(Tps.code.desc())
        .offset(offset).limit(1)).one()


def open_map(page, base_url, errors):
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base_url, "koordinator")
    page.goto(base_url + "/map")
    page.wait_for_function("() => window.SIAGA_MAP && window.SIAGA_MAP.loads > 0")


def zoom_to(page, lat, lon, zoom=16):
    loads = page.evaluate("window.SIAGA_MAP.loads")
    page.evaluate(f"window.SIAGA_MAP.map.setView([{lat}, {lon}], {zoom})")
    page.wait_for_function(f"() => window.SIAGA_MAP.loads > {loads}")


def test_map_shows_every_layer_and_a_post_arrives_live(desktop, live_server, e2e_session):
    errors: list[str] = []
    open_map(desktop, live_server, errors)
    control = desktop.locator(".leaflet-control-layers").inner_text()
    for layer in LAYERS:
        assert layer in control
    assert desktop.locator(".map-legend").is_visible()
    desktop.wait_for_function("() => Object.keys(window.SIAGA_MAP.tps).length > 0")  # the city, clustered
    assert desktop.locator(".station-icon").count() > 0 and desktop.locator(".facility-icon").count() > 0
    assert desktop.locator(".leaflet-overlay-pane canvas").count() > 0  # boundaries, TPS and coverage (canvas renderer)
    screenshot(desktop, "map-city-1366x768")

    tps = gerunggang_tps_in_setup(e2e_session, 0)
    zoom_to(desktop, tps.lat, tps.lon)
    desktop.wait_for_function(f"() => window.SIAGA_MAP.tps[{tps.id}] && window.SIAGA_MAP.tps[{tps.id}].status === 'setup'")
    desktop.evaluate("window.__same_page = true")
    advance_tps_status(e2e_session, actor(e2e_session, "camat-gerunggang"), tps.id, TpsStatus.OPEN)
    desktop.wait_for_function(f"() => window.SIAGA_MAP.tps[{tps.id}].status === 'open'", timeout=15_000)
    assert desktop.evaluate("window.__same_page") is True  # no reload
    desktop.check("input[value=meals]")
    desktop.wait_for_function(f"() => window.SIAGA_MAP.tps[{tps.id}].meal !== undefined")
    assert desktop.locator(".legend-meals").is_visible()
    screenshot(desktop, "map-zoomed-meals-1366x768")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_user_text_never_runs_on_the_map_or_the_dashboard(desktop, live_server, e2e_session):
    tps = gerunggang_tps_in_setup(e2e_session, 1)
    incident = report_incident(e2e_session, actor(e2e_session, "camat-gerunggang"), patient_kind="officer",
                               complaint="pingsan " + XSS, triage="merah", tps_id=tps.id, patient_name=XSS, notes=XSS)
    errors: list[str] = []
    open_map(desktop, live_server, errors)
    zoom_to(desktop, tps.lat, tps.lon, 17)
    desktop.wait_for_function(f"() => window.SIAGA_MAP.incidents && window.SIAGA_MAP.incidents[{incident.id}]")
    # The e2e database is shared: other tests' incidents may be on the map too. Open this one's popup.
    desktop.evaluate(f"""window.SIAGA_MAP.layers.incidents.eachLayer(function (l) {{
        if (l.incidentId === {incident.id}) {{ l.openPopup(); }} }})""")
    popup = desktop.locator(".leaflet-popup-content").last
    popup.wait_for()
    assert "<script>window.__xss=1</script>" in popup.inner_text()
    assert popup.locator("img").count() == 0 and popup.locator("script").count() == 0
    assert popup.locator("a").get_attribute("href") == f"/lapangan/kejadian/{incident.id}"
    screenshot(desktop, "map-incident-popup-1366x768")
    assert desktop.evaluate("typeof window.__xss") == "undefined"

    desktop.goto(live_server + f"/tps/{tps.id}")
    assert XSS in desktop.locator("main").inner_text()
    assert desktop.evaluate("typeof window.__xss") == "undefined"


def test_dashboard_at_command_post_size_refreshes_itself(desktop, live_server):
    desktop.clock.install()
    log_in(desktop, live_server, "koordinator")
    assert desktop.url.endswith("/dashboard")
    assert desktop.locator("#kecamatan-table tbody tr").count() == 7
    assert desktop.locator("#alert-list li").count() > 0
    assert desktop.locator(".chart svg rect").count() == 24
    screenshot(desktop, "dashboard-1366x768")
    desktop.clock.fast_forward(31_000)
    desktop.wait_for_function("() => document.getElementById('dashboard-body').getAttribute('data-refreshes') === '1'")
    assert desktop.locator("#kecamatan-table tbody tr").count() == 7
    assert desktop.evaluate("typeof window.__xss") == "undefined"
