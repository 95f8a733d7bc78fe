"""A new kota set up in the browser, as a new user would: a fresh database without the demo, an admin made on
the command line, then boundaries, a KPU-style TPS list, facilities, stations, vendors, couriers and medics
uploaded, previewed on the map and confirmed on /admin/wilayah; the readiness summary, the dashboard, the live
map, a field page and the API then work for that kota. Chromium at 1366x768; screenshots to look at."""
from __future__ import annotations


import pytest

from tests.e2e.conftest import ROOT, log_in, screenshot, serve_fresh

pytestmark = pytest.mark.e2e
SETUP = ROOT / "examples" / "setup"
SCHEMA = "siaga_e2e_area"
PASSWORD = "admin-baru-2026!"
UPLOADS = [("batas", "pangkalpinang_kelurahan_utm48s.geojson", "42 baris: 50 akan dibuat"),
           ("tps", "tps_kpu_pangkalpinang.csv", "315 baris: 315 akan dibuat"),
           ("faskes", "faskes_pangkalpinang.csv", "3 baris: 3 akan dibuat"),
           ("pos", "pos_kesehatan_pangkalpinang.csv", "3 baris: 3 akan dibuat"),
           ("vendor", "vendor_pangkalpinang.csv", "3 baris: 3 akan dibuat"),
           ("kurir", "kurir_pangkalpinang.csv", "3 baris: 3 akan dibuat"),
           ("medis", "tenaga_kesehatan_pangkalpinang.csv", "3 baris: 3 akan dibuat")]


@pytest.fixture(scope="module")
def fresh_server(database_url, tmp_path_factory):
    """The app on an empty, migrated database: no demo, one admin."""
    yield from serve_fresh(database_url, tmp_path_factory, SCHEMA, PASSWORD)


def test_a_new_kota_set_up_in_the_browser(desktop, fresh_server):
    errors: list[str] = []
    desktop.on("pageerror", lambda e: errors.append(str(e)))
    log_in(desktop, fresh_server, "admin", PASSWORD)
    desktop.goto(fresh_server + "/admin/wilayah")
    assert "belum ada" in desktop.locator("#ready-title + p").inner_text()
    screenshot(desktop, "setup-01-empty", full_page=False)

    for kind, name, expected in UPLOADS:
        desktop.goto(fresh_server + "/admin/wilayah")
        desktop.select_option("#jenis", kind)
        desktop.set_input_files("#berkas", str(SETUP / name))
        desktop.click("#upload-form button[type=submit]")
        desktop.wait_for_url("**/admin/wilayah/pratinjau")
        assert expected in desktop.locator("#summary").inner_text(), (kind, desktop.locator("#summary").inner_text())
        if kind in ("batas", "tps"):
            desktop.wait_for_selector("#preview-map .leaflet-overlay-pane canvas")
            screenshot(desktop, f"setup-02-preview-{kind}", full_page=False)
        desktop.click("#confirm")
        desktop.wait_for_url("**/admin/wilayah")
        assert "Diimpor:" in desktop.locator(".flash").first.inner_text()

    # A list with coordinates and mistakes: shown by row, on the map in red, and cannot be saved.
    desktop.select_option("#jenis", "tps")
    desktop.set_input_files("#berkas", str(SETUP / "tps_sirekap_pangkalpinang.csv"))
    desktop.click("#upload-form button[type=submit]")
    desktop.wait_for_url("**/admin/wilayah/pratinjau")
    assert "m di luar Kel. Bacang" in desktop.locator("#errors").inner_text()
    assert desktop.locator("#confirm").is_disabled()
    desktop.wait_for_selector("#preview-map .leaflet-overlay-pane canvas")
    screenshot(desktop, "setup-05-preview-errors", full_page=False)
    desktop.click("text=Batal")
    desktop.wait_for_url("**/admin/wilayah")

    ready = desktop.locator("#ready-title").locator("..").inner_text()
    assert "Kota Pangkal Pinang" in ready and "Kelurahan tanpa TPS: 0" in ready
    assert "Kecamatan tanpa pos kesehatan: 4" in ready  # 3 of 7 kecamatan have a station in the example files
    screenshot(desktop, "setup-03-readiness", full_page=True)

    desktop.goto(fresh_server + "/dashboard")
    assert "Bukit Intan" in desktop.content() and desktop.locator("table").count() > 0
    desktop.goto(fresh_server + "/map")
    desktop.wait_for_function("() => window.SIAGA_MAP && window.SIAGA_MAP.loads > 0")
    desktop.wait_for_function("() => Object.keys(window.SIAGA_MAP.tps).length > 0")
    screenshot(desktop, "setup-04-map", full_page=False)
    api = desktop.request.get(fresh_server + "/api/v1/tps?limit=500").json()
    tps = api["items"] if "items" in api else api["data"]
    assert len(tps) == 315 and all(t["position_approximate"] and t["dpt"] is None for t in tps)
    desktop.goto(fresh_server + f"/lapangan/tps/{tps[0]['id']}")
    assert "TPS 001" in desktop.content()
    assert errors == []
