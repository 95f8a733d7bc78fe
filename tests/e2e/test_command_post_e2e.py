"""The command post at a glance (issue 25), during a played drill: the dashboard with its charts at
1366x768 and on a 390x844 phone (cards, no sideways scrolling), the dashboard printed (print media:
nothing cut, colours kept), and the map in meal mode (states by shape, popups kept across refreshes,
the layer control folded on a phone). Screenshots go to test-artifacts/screenshots/ to be looked at."""
from datetime import timedelta

import pytest

from logistics.drill.runner import play_drills, start_drill
from logistics.rules.time_zones import WIB
from logistics.timeutil import to_local, utcnow
from tests.e2e.conftest import DESKTOP, PHONE, demo_env, log_in, own_database_url, screenshot, serve

pytestmark = pytest.mark.e2e
# The one popup open is the marker `key`'s (the TPS it was opened on).
POPUP_ON = """(key) => { var open = [];
    SIAGA_MAP.map.eachLayer(function (l) { if (l.isPopupOpen && l.isPopupOpen()) { open.push(l.siagaKey); } });
    return open.length === 1 && open[0] === key && document.querySelectorAll('.leaflet-popup').length === 1; }"""

# Opens the popup of the TPS marker nearest the map's centre; gives its key.
OPEN_NEAREST_TPS = """() => { var S = SIAGA_MAP, c = S.map.getCenter(), m = null, best = Infinity;
    S.map.eachLayer(function (l) {
      if (l.siagaKey && l.siagaKey.indexOf('tps:') === 0 && l.getLatLng().distanceTo(c) < best) {
        m = l; best = l.getLatLng().distanceTo(c); } });
    m.openPopup(); return m.siagaKey; }"""


@pytest.fixture(scope="module")
def drill_server(database_url, tmp_path_factory):
    """The demo on today's date with a drill started 7.5 minutes ago: the test plays its first hours."""
    url = own_database_url(database_url, tmp_path_factory, "siaga_e2e_drill")
    env = demo_env(url) | {"ELECTION_DATE": "today"}
    for base_url in serve(env, (["db", "upgrade"], ["seed-demo"]), tmp_path_factory):
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        engine = create_engine(url)
        with Session(engine) as session:
            # 60x, started 7.5 wall minutes ago: the server's clock (the drill's) reads 12:30 of the simulated
            # day, and what the drill did by then is played now (as `flask drill` would have the worker do).
            today = to_local(utcnow(), WIB).date()  # ELECTION_DATE=today, in the demo city's zone
            start_drill(session, today, speed=60, tps_limit=80, clock=lambda: utcnow() - timedelta(minutes=7.5))
            play_drills(session, utcnow(), {})
        engine.dispose()
        yield base_url


def _page(browser, options):
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", **options)
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.mark.parametrize("size", ["1366x768", "390x844"])
def test_dashboard_charts_cards_and_print(browser, drill_server, size):
    context, page = _page(browser, DESKTOP if size == "1366x768" else PHONE)
    log_in(page, drill_server, "koordinator")
    page.goto(drill_server + "/dashboard")
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    for key in ("meals-round", "meals-area", "tps-steps", "incidents-hour", "care-times"):
        svg = page.locator(f"#chart-{key} svg")
        assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-labelledby") == f"chart-{key}-title"
        assert page.locator(f"#chart-{key} table[data-chart='{key}']").count() == 1  # the data table
    assert page.locator("#drill-note").is_visible()
    if size == "390x844":  # cards: each figure labelled by its column head
        cell = page.locator("#kecamatan-table tbody tr").first.locator("td[data-col='late']")
        assert page.evaluate("(td) => getComputedStyle(td, '::before').content", cell.element_handle()) != "none"
    screenshot(page, f"dashboard-drill-{size}")
    page.emulate_media(media="print")
    # Nothing cut: the whole alert list unrolled, the table's last column on the page.
    assert page.evaluate("getComputedStyle(document.querySelector('#alert-list')).maxHeight") == "none"
    # A printed page is A4 (190 mm printable, ~718 CSS px) whatever the screen it was printed from.
    right = page.evaluate("document.querySelector('#kecamatan-table').getBoundingClientRect().right")
    assert right <= max(width, 718)
    assert page.locator(".filters").is_hidden() and page.locator(".chart-data").first.is_hidden()
    assert page.evaluate("getComputedStyle(document.querySelector('.sev-high, .sev-critical, .sev-medium'))"
                         ".printColorAdjust") == "exact"
    screenshot(page, f"dashboard-print-{size}")
    context.close()


@pytest.mark.parametrize("size", ["1366x768", "390x844"])
def test_map_meal_mode_keeps_its_popup_and_folds_its_controls(browser, drill_server, size):
    context, page = _page(browser, DESKTOP if size == "1366x768" else PHONE)
    log_in(page, drill_server, "koordinator")
    page.goto(drill_server + "/map")
    page.wait_for_function("() => window.SIAGA_MAP && window.SIAGA_MAP.loads > 0")
    page.evaluate("() => SIAGA_MAP.map.setZoom(16)")
    page.wait_for_function("() => Object.keys(SIAGA_MAP.tps).length > 0")
    page.check("input[name=color][value=meals]")
    page.wait_for_function("() => document.querySelector('.tps-mark .mark-meals-late, .tps-mark .mark-meals-arrived,"
                           " .tps-mark .mark-meals-short, .tps-mark .mark-meals-pending')")
    # States differ by shape; no TPS or meal mark wears a triage colour's class.
    assert page.locator(".tps-mark .mark-triage-merah").count() == 0
    assert "WIB" in page.text_content("#map-status")
    folded = page.evaluate("!document.querySelector('.leaflet-control-layers').classList"
                           ".contains('leaflet-control-layers-expanded')")
    assert folded == (size == "390x844")
    # A popup stays open across redraws of its layer (the poll, and the moveend of its own auto-pan).
    key = page.evaluate(OPEN_NEAREST_TPS)
    # While the drill plays, the TPS layer is redrawn at every poll (its clock moves a simulated minute a
    # second at 60x): a redraw closes the popup and opens it again once its markers are drawn (chunked). So
    # the popup is waited for, on the same TPS, after each redraw, rather than looked at after a fixed pause.
    loads = page.evaluate("() => SIAGA_MAP.loads")
    page.wait_for_function(f"() => SIAGA_MAP.loads > {loads}")  # its auto-pan's reload, or the next poll
    page.wait_for_function(POPUP_ON, arg=key)
    loads = page.evaluate("() => SIAGA_MAP.loads")
    page.evaluate("() => { SIAGA_MAP.map.panBy([40, 30]); }")  # a move redraws the TPS layer
    page.wait_for_function(f"() => SIAGA_MAP.loads > {loads}")
    page.wait_for_function(POPUP_ON, arg=key)
    assert page.locator(".leaflet-popup").count() == 1, key
    screenshot(page, f"map-meals-drill-{size}", full_page=False)
    page.emulate_media(media="print")
    screenshot(page, f"map-meals-print-{size}", full_page=False)
    context.close()


def test_map_popup_kept_when_two_redraws_arrive_together(browser, drill_server):
    """A poll's answer and a move's can arrive together: the second redraw starts before the first has opened
    the popup again (its markers go on the map in chunks). The popup is still the user's: it stays open."""
    context, page = _page(browser, DESKTOP)
    log_in(page, drill_server, "koordinator")
    page.goto(drill_server + "/map")
    page.wait_for_function("() => window.SIAGA_MAP && window.SIAGA_MAP.loads > 0")
    page.evaluate("() => SIAGA_MAP.map.setZoom(16)")
    page.wait_for_function("() => Object.keys(SIAGA_MAP.tps).length > 0")
    key = page.evaluate(OPEN_NEAREST_TPS)
    page.wait_for_function(POPUP_ON, arg=key)
    for _ in range(3):
        held = []

        def hold_two(route):  # the next two TPS answers are held, then given back to back
            if len(held) == 2:
                route.continue_()
                return
            held.append(route)
            if len(held) == 2:
                answers = [r.fetch() for r in held]
                for r, answer in zip(held, answers):
                    r.fulfill(response=answer)

        page.route("**/map/data/tps.geojson*", hold_two)
        loads = page.evaluate("() => SIAGA_MAP.loads")
        # Two redraws asked for at once (the colour mode changed twice), as a poll and a move can.
        page.check("input[name=color][value=meals]")
        page.check("input[name=color][value=status]")
        page.wait_for_function(f"() => SIAGA_MAP.loads >= {loads + 2}")
        page.wait_for_function(POPUP_ON, arg=key)
        page.unroute("**/map/data/tps.geojson*")
    # Closed by the user, it stays closed across the next redraws.
    page.evaluate("() => SIAGA_MAP.map.closePopup()")
    loads = page.evaluate("() => SIAGA_MAP.loads")
    page.check("input[name=color][value=meals]")
    page.wait_for_function(f"() => SIAGA_MAP.loads > {loads} && Object.keys(SIAGA_MAP.tps).length > 0")
    page.wait_for_timeout(300)  # past the chunked drawing's reopening
    assert page.locator(".leaflet-popup").count() == 0
    context.close()
