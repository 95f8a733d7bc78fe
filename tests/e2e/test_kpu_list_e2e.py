"""A city that has only a KPU list (issue 23, point 2), in Chromium on a fresh database: the admin picks two
kab/kota of Banten from the national list on /admin/wilayah, uploads a TPS list in KPU's own numbers
(`4631-TANGERANG`, `58390-SUKARASA`, `1658390001-TPS 001`; a synthetic fixture) whose coordinates are broken
in four rows, ticks "import with warnings", and confirms; the map's data and the API then show the TPS of
both kab/kota. No code is typed by hand: the only choices are two entries of the list."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import log_in, screenshot, serve_fresh

pytestmark = pytest.mark.e2e
KPU_LIST = Path(__file__).resolve().parents[1] / "fixtures" / "tps_kpu_internal_banten.csv"
SCHEMA = "siaga_e2e_kpu"
PASSWORD = "admin-baru-2026!"


@pytest.fixture(scope="module")
def fresh_server(database_url, tmp_path_factory):
    """The app on an empty, migrated database: no demo, one admin."""
    yield from serve_fresh(database_url, tmp_path_factory, SCHEMA, PASSWORD)


def test_two_kab_kota_from_the_list_and_a_kpu_list_with_broken_coordinates(desktop, fresh_server):
    errors: list[str] = []
    desktop.on("pageerror", lambda e: errors.append(str(e)))
    log_in(desktop, fresh_server, "admin", PASSWORD)
    for kode in ("36.71", "36.72"):  # Kota Tangerang, Kota Cilegon (Banten): picked, not typed
        desktop.goto(fresh_server + "/admin/wilayah")
        desktop.select_option("#kode", kode)
        desktop.click("#pick-form button[type=submit]")
        desktop.wait_for_url("**/admin/wilayah")
        assert "Diimpor:" in desktop.locator(".flash").first.inner_text()

    desktop.select_option("#jenis", "tps")
    desktop.set_input_files("#berkas", str(KPU_LIST))
    desktop.check("#perkiraan")
    desktop.click("#upload-form button[type=submit]")
    desktop.wait_for_url("**/admin/wilayah/pratinjau")
    assert "42 baris: 42 akan dibuat" in desktop.locator("#summary").inner_text()
    warnings = desktop.locator("#warnings").inner_text()
    assert warnings.count("posisi perkiraan") == 4 and "tertukar" in warnings
    desktop.wait_for_selector("#preview-map .leaflet-overlay-pane canvas")
    screenshot(desktop, "kpu-list-01-preview-warnings", full_page=False)
    desktop.click("#confirm")
    desktop.wait_for_url("**/admin/wilayah")
    assert "Diimpor: 42 baru" in desktop.locator(".flash").first.inner_text()
    ready = desktop.locator("#ready-title").locator("..").inner_text()
    assert "Kota Tangerang" in ready and "Kota Cilegon" in ready

    api = desktop.request.get(fresh_server + "/api/v1/tps?limit=500").json()
    tps = api["items"] if "items" in api else api["data"]
    assert len(tps) == 42
    by_kota = {code: [t for t in tps if t["code"].startswith(code)] for code in ("36.71.", "36.72.")}
    assert len(by_kota["36.71."]) == 24 and len(by_kota["36.72."]) == 18
    assert sum(1 for t in tps if t["position_approximate"]) == 4

    desktop.goto(fresh_server + "/map")
    desktop.wait_for_function("() => window.SIAGA_MAP && window.SIAGA_MAP.loads > 0")
    shown = desktop.request.get(fresh_server + "/map/data/tps.geojson?bbox=105.9,-6.3,106.8,-5.9&zoom=16").json()
    codes = {f["properties"].get("code", "") for f in shown["features"]}
    assert any(c.startswith("36.71.") for c in codes) and any(c.startswith("36.72.") for c in codes)
    screenshot(desktop, "kpu-list-02-map", full_page=False)
    assert errors == []
