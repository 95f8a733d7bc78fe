"""Elections as records (issue 23, "Done when"), in Chromium on the demo: the admin makes a new election from
the active one (today's drill, with its day's records) on /admin/pemilihan and makes it active; the new one's
dashboard starts with no day records. Browsing the earlier one shows a read-only banner and its figures as they
were; saving a form there (the election settings) is refused with a message, not a 500, and nothing is stored;
then back to the active election. Screenshots: test-artifacts/screenshots/elections-*.png."""
from __future__ import annotations


import pytest

from tests.e2e.conftest import demo_env, log_in, own_database_url, screenshot, serve

pytestmark = pytest.mark.e2e
SCHEMA = "siaga_e2e_elections"
SOURCE = "Pilkada Ulang Kota Pangkalpinang (latihan)"  # the demo's active election (siaga/seeding/elections.py)
NEW = "Pemilu 2029 Kota Pangkalpinang"
# The dashboard's figures per row that do not move with the clock ("late" does, as the minutes pass).
FIGURES = """() => Array.from(document.querySelectorAll('#kecamatan-table tr[data-kecamatan]')).map(tr =>
  [tr.dataset.kecamatan].concat(Array.from(tr.querySelectorAll('[data-col]'))
    .filter(td => td.dataset.col !== 'late').map(td => td.dataset.col + '=' + td.innerText.trim())))"""


@pytest.fixture(scope="module")
def demo_server(database_url, tmp_path_factory):
    """The demo on a database of its own: this test changes which election is active."""
    env = demo_env(own_database_url(database_url, tmp_path_factory, SCHEMA))
    yield from serve(env, (["db", "upgrade"], ["seed-demo"]), tmp_path_factory)


def _row(page, name: str):
    return page.locator("main table tbody tr", has=page.locator("td", has_text=name))


def test_a_new_election_from_the_active_one_and_the_earlier_browsed_read_only(desktop, phone, demo_server):
    errors: list[str] = []
    desktop.on("pageerror", lambda e: errors.append(str(e)))
    log_in(desktop, demo_server, "admin")
    desktop.goto(demo_server + "/dashboard")
    before = desktop.evaluate(FIGURES)
    meals_before = desktop.locator("#kecamatan-table tfoot [data-col=meal_pagi]").inner_text()
    assert meals_before.endswith("/ 319")  # the drill's day has records to keep: its meal plans

    desktop.goto(demo_server + "/admin/pemilihan")
    assert "Aktif" in _row(desktop, SOURCE).inner_text()
    desktop.select_option("#dari", label=SOURCE)
    desktop.select_option("#jenis", "pemilu")
    desktop.fill("#nama", NEW)
    desktop.fill("#tanggal", "2029-02-14")
    desktop.check("input[name=aktifkan]")
    desktop.click("form.settings button[type=submit]")
    desktop.wait_for_url("**/admin/pemilihan")
    assert NEW in desktop.locator(".flash").first.inner_text()
    assert "Aktif" in _row(desktop, NEW).inner_text() and "Tidak aktif" in _row(desktop, SOURCE).inner_text()
    screenshot(desktop, "elections-01-list-1366x768")

    # The new election: the same TPS, none of the day's records (meal plans are not copied).
    desktop.goto(demo_server + "/dashboard")
    assert desktop.locator(".election-past").count() == 0
    assert desktop.locator("#kecamatan-table tfoot [data-col=meal_pagi]").inner_text() == "0 / 0"
    assert "14-02-2029" in desktop.locator("#dashboard-body").inner_text()  # its own day
    total = desktop.locator("#kecamatan-table tfoot [data-col=tps_total]").inner_text()
    assert total == [c for c in before[-1] if c.startswith("tps_total=")][0].split("=")[1]

    # The earlier one, browsed: a banner, its figures unchanged.
    desktop.goto(demo_server + "/admin/pemilihan")
    _row(desktop, SOURCE).locator("button", has_text="Lihat").click()
    desktop.wait_for_url("**/dashboard")
    banner = desktop.locator(".election-past")
    assert SOURCE in banner.inner_text() and "hanya baca" in banner.inner_text()
    assert desktop.evaluate(FIGURES) == before
    screenshot(desktop, "elections-02-browsing-past-1366x768", full_page=False)

    # A form saved while browsing: refused with a message, nothing stored.
    desktop.goto(demo_server + "/admin/pengaturan")
    field = desktop.locator("form.settings input[name]:not([type=hidden])").first
    old_value = field.input_value()
    field.fill(old_value + "0" if old_value.isdigit() else old_value)
    with desktop.expect_response(lambda r: r.request.method == "POST") as posted:
        desktop.click("form.settings button[type=submit]")
    desktop.wait_for_load_state()
    assert posted.value.status == 409
    assert "hanya dapat dibaca" in desktop.locator("main p.error").inner_text()
    assert desktop.locator(".election-past").count() == 1  # still browsing, and told so
    screenshot(desktop, "elections-03-write-refused-1366x768", full_page=False)
    desktop.goto(demo_server + "/admin/pengaturan")
    assert desktop.locator("form.settings input[name]:not([type=hidden])").first.input_value() == old_value

    # Back to the active election.
    desktop.locator(".election-past button").click()
    desktop.wait_for_url("**/dashboard")
    assert desktop.locator(".election-past").count() == 0
    assert desktop.locator("#kecamatan-table tfoot [data-col=meal_pagi]").inner_text() == "0 / 0"

    # On a phone: the list and the banner fit the screen.
    phone.on("pageerror", lambda e: errors.append(str(e)))
    log_in(phone, demo_server, "admin")
    phone.goto(demo_server + "/admin/pemilihan")
    screenshot(phone, "elections-04-list-390x844")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _row(phone, SOURCE).locator("button", has_text="Lihat").click()
    phone.wait_for_url("**/dashboard")
    assert SOURCE in phone.locator(".election-past").inner_text()
    assert phone.evaluate(FIGURES) == before
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "elections-05-browsing-past-390x844", full_page=False)
    phone.locator(".election-past button").click()
    phone.wait_for_url("**/dashboard")
    assert phone.locator(".election-past").count() == 0
    assert errors == []
