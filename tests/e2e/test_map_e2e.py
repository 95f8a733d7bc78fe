"""The coordinators' map and dashboard in Chromium at 1366x768: every layer, live updates, no XSS."""
import pytest
from sqlalchemy import func, select

from logistics.models import Kecamatan, Kelurahan, Tps, TpsStatus
from logistics.services import data_versions
from logistics.services.incidents import report_incident
from logistics.services.tps_status import advance_tps_status
from tests.e2e.conftest import actor, log_in, screenshot

pytestmark = pytest.mark.e2e
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1">'
# The centre of the first overlap of an incident's icon with a TPS group or station icon, and what is on top there.
OVERLAP_JS = """(function () {
    var under = document.querySelectorAll('.marker-cluster.tps-group, .cell-icon, .station-icon');
    var over = document.querySelectorAll('.incident-icon');
    for (var i = 0; i < over.length; i++) { var a = over[i].getBoundingClientRect();
      for (var j = 0; j < under.length; j++) { var b = under[j].getBoundingClientRect();
        var l = Math.max(a.left, b.left), r = Math.min(a.right, b.right), t = Math.max(a.top, b.top), d = Math.min(a.bottom, b.bottom);
        if (r - l > 4 && d - t > 4) { var top = document.elementFromPoint((l + r) / 2, (t + d) / 2);
          // the marker under the point (an icon may draw its shape as an SVG inside the marker's div)
          var marker = top && top.closest('.leaflet-marker-icon');
          return {top: String(marker ? marker.getAttribute('class') : top && top.getAttribute('class')),
                  under: under[j].getAttribute('class')}; } } }
    return null; })()"""
LAYERS = ["Batas kota/kabupaten", "Batas kecamatan", "Batas kelurahan", "TPS", "Kejadian kesehatan terbuka", "Pos kesehatan & jangkauan",
          "Fasilitas kesehatan"]


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
    page.evaluate(f"void window.SIAGA_MAP.map.setView([{lat}, {lon}], {zoom})")
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
    desktop.evaluate(f"""void window.SIAGA_MAP.layers.incidents.eachLayer(function (l) {{
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


def test_area_names_with_markup_stay_text_in_tooltips(desktop, live_server, e2e_session):
    """An uploaded boundary's name is data: in a TPS's tooltip and the boundary's own it is shown as typed, never
    a live link (issue 24, finding 6: Leaflet renders a string tooltip as HTML)."""
    evil = "<a href=x>evil</a>"
    tps = gerunggang_tps_in_setup(e2e_session, 2)
    kelurahan = e2e_session.get(Kelurahan, tps.kelurahan_id)
    name = kelurahan.nama
    kelurahan.nama = evil
    # As a boundary import renames it: the map's tag names the kelurahan's data version (a body kept under the
    # old tag by an earlier test of this server would otherwise be served again).
    data_versions.bump(e2e_session, ["kelurahan"])
    e2e_session.commit()
    try:
        errors: list[str] = []
        open_map(desktop, live_server, errors)
        zoom_to(desktop, tps.lat, tps.lon, 17)
        desktop.wait_for_function(f"() => window.SIAGA_MAP.tps[{tps.id}]")
        # Opened and read again until seen: a redraw of a layer (its data polled anew, e.g. when the minute of the
        # election clock turns) closes the tooltips opened before it.
        for _attempt in range(5):
            desktop.evaluate("""void window.SIAGA_MAP.map.eachLayer(function (l) {
                if (l.getTooltip && l.getTooltip()) { l.openTooltip(l.getLatLng ? l.getLatLng() : l.getBounds().getCenter()); } })""")
            tips = desktop.locator(".leaflet-tooltip")
            texts = tips.all_inner_texts()
            if any(evil in t for t in texts):
                break
            desktop.wait_for_timeout(1000)
        assert any(evil in t for t in texts), texts  # shown as typed: the TPS's tooltip, the boundary's
        assert desktop.locator(".leaflet-tooltip a").count() == 0
    finally:
        kelurahan.nama = name
        data_versions.bump(e2e_session, ["kelurahan"])
        e2e_session.commit()


def test_dashboard_at_command_post_size_refreshes_itself(desktop, live_server):
    desktop.clock.install()
    log_in(desktop, live_server, "koordinator")
    assert desktop.url.endswith("/dashboard")
    assert desktop.locator("#kecamatan-table tbody tr").count() == 7
    assert desktop.locator("#alert-list li").count() > 0
    assert desktop.locator("figure.chart svg").count() >= 4  # the day's charts (maps/charts.py)
    screenshot(desktop, "dashboard-1366x768")
    desktop.clock.fast_forward(6_000)  # the live page checks itself (siaga/static/js/live.js)
    desktop.wait_for_function("() => Number(document.body.dataset.liveChecks || 0) >= 1")
    assert desktop.locator("#kecamatan-table tbody tr").count() == 7
    assert desktop.evaluate("typeof window.__xss") == "undefined"
    # The kecamatan table fits the screen (its column heads wrap), in both languages: no sideways scrolling.
    fits = "() => { const s = document.querySelector('.table-section'); return s.scrollWidth <= s.clientWidth; }"
    assert desktop.evaluate(fits)
    desktop.goto(live_server + "/dashboard?lang=en")
    assert desktop.evaluate(fits)


def test_dashboard_on_a_phone_is_one_readable_column(phone, live_server):
    """A coordinator away from the command post (390x844): the alerts, the chart and the table stack; no
    column is squeezed to a strip and the page does not scroll sideways (only the wide table does, inside
    its own box)."""
    log_in(phone, live_server, "koordinator")
    assert phone.url.endswith("/dashboard")
    alerts = phone.locator(".alerts-section").bounding_box()
    chart = phone.locator(".charts-section").bounding_box()
    assert alerts["width"] > 300 and chart["width"] > 300
    assert chart["y"] >= alerts["y"] + alerts["height"] - 1  # below, not beside
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "dashboard-390x844")


def test_incidents_sit_above_tps_groups_and_co_located_ones_fan_out(desktop, live_server, e2e_session):
    tps = gerunggang_tps_in_setup(e2e_session, 2)
    camat = actor(e2e_session, "camat-gerunggang")
    triages = ["hijau", "kuning", "merah", "hijau", "kuning", "hitam"]
    ids = [report_incident(e2e_session, camat, patient_kind="officer", complaint="pusing", triage=t, tps_id=tps.id).id
           for t in triages]
    errors: list[str] = []
    open_map(desktop, live_server, errors)
    zoom_to(desktop, tps.lat, tps.lon, 13)  # TPS still grouped at this zoom
    desktop.wait_for_function(f"() => window.SIAGA_MAP.incidents && window.SIAGA_MAP.incidents[{ids[-1]}]")
    fan = desktop.evaluate(f"""Object.values(window.SIAGA_MAP.incidentFans).find(
        function (g) {{ return g.indexOf({ids[0]}) >= 0; }})""")
    assert set(ids) <= set(fan) and fan[0] == ids[2]  # merah first on the ring
    # Every incident of the fan has its own spot on the screen, and a badge says how many there are.
    boxes = desktop.evaluate(f"""(function () {{
        var out = {{}};
        window.SIAGA_MAP.layers.incidents.eachLayer(function (l) {{
            if ({ids}.indexOf(l.incidentId) >= 0) {{ var r = l.getElement().getBoundingClientRect();
                out[l.incidentId] = [r.left + r.width / 2, r.top + r.height / 2]; }} }});
        return out; }})()""")
    centres = {tuple(round(v) for v in c) for c in boxes.values()}
    assert len(boxes) == len(ids) and len(centres) == len(ids)
    badge = desktop.locator(".incident-count").filter(has_text=str(len(fan)))
    assert badge.count() >= 1
    # Incidents are on top: where an incident's icon overlaps a TPS group or a station, the screen shows the incident.
    overlap = None
    for zoom in (12, 11, 13, 10):
        zoom_to(desktop, tps.lat, tps.lon, zoom)
        overlap = desktop.evaluate(OVERLAP_JS)
        if overlap:
            break
    assert overlap, "no incident overlapped a TPS group or a station at any zoom tried"
    assert "incident-" in overlap["top"] and overlap["under"], overlap
    screenshot(desktop, "map-incident-over-group-1366x768", full_page=False)
    zoom_to(desktop, tps.lat, tps.lon, 13)
    assert desktop.locator(".leaflet-siaga-incidents-pane").evaluate("p => +getComputedStyle(p).zIndex") > 600
    # A TPS group (cluster or cell) is drawn in the map's marker pane, below the incidents, in blue-grey.
    group = desktop.locator(".marker-cluster.tps-group, .cell-icon").first
    assert group.evaluate("g => getComputedStyle(g).backgroundColor") == "rgba(69, 90, 100, 0.85)"
    assert desktop.locator(".marker-cluster-small, .marker-cluster-medium, .marker-cluster-large").count() == 0
    assert desktop.locator("nav.subnav a[aria-current=page]").inner_text() == "Peta langsung"
    screenshot(desktop, "map-incident-fan-1366x768", full_page=False)
    desktop.evaluate(f"void window.SIAGA_MAP.map.setView([{tps.lat}, {tps.lon}], 18)")
    desktop.wait_for_timeout(800)
    screenshot(desktop, "map-incident-fan-zoomed-1366x768", full_page=False)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_legend_folds_on_a_phone(phone, live_server):
    errors: list[str] = []
    open_map(phone, live_server, errors)
    toggle = phone.locator(".legend-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not phone.locator(".legend-body").is_visible()
    box = phone.locator(".map-legend").bounding_box()
    shell = phone.locator(".map-shell").bounding_box()
    assert box["width"] * box["height"] < 0.05 * shell["width"] * shell["height"]
    screenshot(phone, "map-legend-folded-390x844", full_page=False)
    toggle.click()
    assert phone.locator(".legend-body").is_visible() and toggle.get_attribute("aria-expanded") == "true"
    screenshot(phone, "map-legend-open-390x844", full_page=False)
    toggle.click()
    assert not phone.locator(".legend-body").is_visible()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_boundaries_grid_bubbles_and_points_by_zoom(size, request, live_server, e2e_session):
    """Boundaries come by URL (not in the page); zoomed out the TPS are counted per cell, from the stored
    counts, and a change made elsewhere reaches them (counted live while no worker refreshes them); zoomed
    in they are points."""
    page = request.getfixturevalue(size)
    name = "1366x768" if size == "desktop" else "390x844"
    errors: list[str] = []
    open_map(page, live_server, errors)
    page.wait_for_function("() => (window.SIAGA_MAP.boundaryFeatures.kecamatan || 0) > 0")
    assert page.evaluate("window.SIAGA_MAP.boundaryFeatures.kota") == 1
    assert "Gerunggang" not in page.content().split("map-config")[0]  # no area names inlined in the page
    screenshot(page, f"map-boundaries-{name}", full_page=False)

    centre = e2e_session.execute(select(Kecamatan.label_lat, Kecamatan.label_lon).limit(1)).one()
    zoom_to(page, centre[0], centre[1], 9)
    page.wait_for_function("() => document.querySelectorAll('.cell-icon').length > 0")
    assert page.evaluate("Object.keys(window.SIAGA_MAP.tps).length") == 0
    assert page.evaluate("window.SIAGA_MAP.boundaryFeatures.kecamatan") > 0  # kecamatan from zoom 8 on
    total = page.evaluate("window.SIAGA_MAP.cells.reduce(function (n, c) { return n + c.count; }, 0)")
    assert total == e2e_session.scalar(select(func.count(Tps.id)))
    screenshot(page, f"map-grid-bubbles-{name}", full_page=False)

    if size == "desktop":  # a change committed by another process reaches the zoomed-out counts
        def opened():
            return page.evaluate("window.SIAGA_MAP.cells.reduce(function (n, c) { return n + c.opened; }, 0)")

        before = opened()
        tps = gerunggang_tps_in_setup(e2e_session, 3)
        advance_tps_status(e2e_session, actor(e2e_session, "camat-gerunggang"), tps.id, TpsStatus.OPEN)
        for _ in range(40):
            page.evaluate("void window.SIAGA_MAP.map.fire('moveend')")  # as the 10 s poll would, sooner
            page.wait_for_timeout(500)
            if opened() == before + 1:
                break
        assert opened() == before + 1

    zoom_to(page, centre[0], centre[1], 16)
    page.wait_for_function("() => Object.keys(window.SIAGA_MAP.tps).length > 0")
    assert page.locator(".cell-icon").count() == 0
    screenshot(page, f"map-points-{name}", full_page=False)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_dashboard_drills_down_from_the_city_to_a_kecamatan_and_back(desktop, live_server):
    log_in(desktop, live_server, "koordinator")
    assert desktop.locator("#kecamatan-table tbody tr").count() == 7
    first = desktop.locator("#kecamatan-table tbody tr th a").first
    name = first.inner_text()
    first.click()
    desktop.wait_for_url("**/dashboard?kecamatan=*")
    assert desktop.locator("#kecamatan-table tbody tr").count() == 1
    assert desktop.locator("#kecamatan-table tbody tr th").inner_text() == name
    desktop.locator("a.up").click()  # up to its kota: all its kecamatan again
    desktop.wait_for_url("**/dashboard?kota=*")
    assert desktop.locator("#kecamatan-table tbody tr").count() == 7
    assert desktop.evaluate("typeof window.__xss") == "undefined"


def test_the_map_opens_fitted_to_the_coordinators_city_on_a_phone(phone, live_server, e2e_session):
    """At 390x844 the city is all in view and fills the map across (whole zoom levels left it a third of
    the map around it): the zoom is the highest, in the map's quarter steps, that shows all of it."""
    south, west, north, east = e2e_session.execute(select(
        func.min(Kecamatan.min_lat), func.min(Kecamatan.min_lon), func.max(Kecamatan.max_lat),
        func.max(Kecamatan.max_lon))).one()
    errors: list[str] = []
    open_map(phone, live_server, errors)
    fit = phone.evaluate("""([s, w, n, e]) => {
        const m = window.SIAGA_MAP.map, city = L.latLngBounds([s, w], [n, e]), size = m.getSize();
        const nw = m.latLngToContainerPoint(city.getNorthWest()), se = m.latLngToContainerPoint(city.getSouthEast());
        return {inside: m.getBounds().contains(city), zoom: m.getZoom(), highest: m.getBoundsZoom(city),
                across: Math.max((se.x - nw.x) / size.x, (se.y - nw.y) / size.y), width: size.x}; }""",
                         [south, west, north, east])
    assert fit["width"] < 400 and fit["inside"], fit
    assert fit["zoom"] >= fit["highest"] - 0.25, fit  # at most one quarter step out: the padding
    assert fit["across"] >= 0.8, fit
    screenshot(phone, "map-city-fitted-390x844", full_page=False)
    assert not [e for e in errors if "Failed to load resource" not in e], errors  # (map tiles: no network here)


def test_the_map_says_when_it_was_updated_as_the_dashboard_does(desktop, live_server):
    """"Diperbarui 08:45:50 WIB": hours, minutes and seconds with colons and the zone, as the dashboard's
    "Dihitung" stamp and every other time on the pages (the browser's Indonesian locale writes 08.45.50)."""
    import re

    errors: list[str] = []
    open_map(desktop, live_server, errors)
    stamp = desktop.locator("#map-status").inner_text()
    assert re.fullmatch(r"Diperbarui \d\d:\d\d:\d\d WIB", stamp), stamp
    desktop.goto(live_server + "/dashboard")
    assert re.fullmatch(r"\d\d:\d\d:\d\d WIB", desktop.locator("#computed-at").inner_text())
