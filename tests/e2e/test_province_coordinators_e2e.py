"""From one city to a province (issue 23, "Done when"), all the way in Chromium on a fresh database: the admin
picks two kab/kota of Banten from the national list on /admin/wilayah, imports a TPS list in KPU's own numbers
whose coordinates are broken in four rows (imported with warnings), then makes three coordinator accounts on the
accounts page — Kota Tangerang, Kota Cilegon and the province — choosing each area from the page's own selects,
and an API token for each on /admin/mitra. Each coordinator logs in with the PIN of their card, sets a password,
and the dashboard (area name, figures), the map (TPS layer data and the bounds it opens on) and the API (their
token, and their browser session) show exactly their area; the province coordinator sees both kab/kota.
No code is typed by hand. Screenshots at 390x844 and 1366x768: test-artifacts/screenshots/coordinators-*.png."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, log_in, screenshot, serve_fresh
from tests.test_field_accounts import read_cards

pytestmark = pytest.mark.e2e
KPU_LIST = Path(__file__).resolve().parents[1] / "fixtures" / "tps_kpu_internal_banten.csv"
SCHEMA = "siaga_e2e_coordinators"
PASSWORD = "admin-baru-2026!"
NEW_PASSWORD = "koordinator wilayah banten"
BANTEN_BBOX = "105.0,-7.2,106.9,-5.8"  # the whole province and more: what the layer returns is the scope's
# (username, full name, which select, the option's text as the page shows it, kab/kota codes seen, TPS seen)
COORDINATORS = [
    ("koord-tangerang", "Koordinator Kota Tangerang", "#kota_id", "Kota Tangerang", {"36.71"}, 24),
    ("koord-cilegon", "Koordinator Kota Cilegon", "#kota_id", "Kota Cilegon", {"36.72"}, 18),
    ("koord-banten", "Koordinator Provinsi Banten", "#provinsi_kode", "Banten", {"36.71", "36.72"}, 42),
]


@pytest.fixture(scope="module")
def fresh_server(database_url, tmp_path_factory):
    """The app on an empty, migrated database: no demo, one admin."""
    yield from serve_fresh(database_url, tmp_path_factory, SCHEMA, PASSWORD)


def _set_up_banten(page, base_url: str) -> None:
    """Two kab/kota picked from the list, and the KPU list imported with its warnings."""
    for name in ("Kota Tangerang", "Kota Cilegon"):
        page.goto(base_url + "/admin/wilayah")
        page.select_option("#kode", label=_option_text(page, "#kode", name))
        page.click("#pick-form button[type=submit]")
        page.wait_for_url("**/admin/wilayah")
        assert "Diimpor:" in page.locator(".flash").first.inner_text()
    page.select_option("#jenis", "tps")
    page.set_input_files("#berkas", str(KPU_LIST))
    page.check("#perkiraan")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/admin/wilayah/pratinjau")
    assert page.locator("#warnings").inner_text().count("posisi perkiraan") == 4
    page.click("#confirm")
    page.wait_for_url("**/admin/wilayah")
    assert "Diimpor: 42 baru" in page.locator(".flash").first.inner_text()


def _option_text(page, select: str, name: str) -> str:
    """The text of the select's one option that names `name` (e.g. "36 · Banten"): chosen as a person reads it."""
    texts = [t.strip() for t in page.locator(f"{select} option").all_inner_texts()]
    matching = [t for t in texts if re.search(rf"(^|· ){re.escape(name)}$", t)]
    assert len(matching) == 1, (name, texts[:20])
    return matching[0]


def _create_coordinator(page, base_url: str, tmp_path, username: str, full_name: str, select: str,
                        area: str) -> str:
    """The account made on the accounts page; returns the one-time PIN printed on its card."""
    page.goto(base_url + "/admin/pengguna")
    page.click("a[href$='/admin/pengguna/baru']")
    page.wait_for_url("**/admin/pengguna/baru")
    page.fill("#username", username)
    page.fill("#full_name", full_name)
    page.select_option("#role", "coordinator")
    page.select_option(select, label=_option_text(page, select, area))
    with page.expect_download() as download:
        page.click("main button[type=submit]")
    pdf = tmp_path / f"{username}.pdf"
    download.value.save_as(pdf)
    _pages, text, _codes = read_cards(pdf.read_bytes())
    printed = re.search(rf"{re.escape(username)}\s*PIN sekali pakai\s*((?:[0-9A-Z]\s*){{10}})", text).group(1)
    return re.sub(r"\s", "", printed)


def _create_token(page, base_url: str, username: str) -> str:
    """An API token bound to the coordinator (it reads no more than they may), made on /admin/mitra."""
    page.goto(base_url + "/admin/mitra")
    form = page.locator("form", has=page.locator("input[name=username]"))
    form.locator("input[name=name]").fill(f"dasbor {username}")
    form.locator("input[name=username]").fill(username)
    for scope in ("read:tps", "read:summary"):
        form.locator(f"input[name=scopes][value='{scope}']").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    return page.locator("#new-token-secret").inner_text().strip()


def _kota_codes(codes) -> set[str]:
    return {".".join(c.split(".")[:2]) for c in codes}


def _check_api(request_context, base_url: str, headers: dict, kota: set[str], tps_count: int) -> None:
    body = request_context.get(base_url + "/api/v1/tps?limit=500", headers=headers).json()
    tps = body["items"] if "items" in body else body["data"]
    assert len(tps) == tps_count and _kota_codes(t["code"] for t in tps) == kota
    assert all(t["time_zone"] == "WIB" for t in tps)
    summary = request_context.get(base_url + "/api/v1/summary?limit=200", headers=headers).json()
    assert summary["city"]["tps_total"] == tps_count, summary["city"]
    # (The areas themselves, /api/v1/kecamatan, are public reference data for every role: read_scope's
    # READ_FILTERS gives Kota, Kecamatan and Kelurahan to all.)


def test_each_coordinator_sees_their_own_area(browser, fresh_server, tmp_path):
    admin_context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", accept_downloads=True, **DESKTOP)
    admin_context.set_default_timeout(60_000)  # a PIN is one scrypt hash; the import a few seconds
    admin = admin_context.new_page()
    errors: list[str] = []
    admin.on("pageerror", lambda e: errors.append(str(e)))
    log_in(admin, fresh_server, "admin", PASSWORD)
    _set_up_banten(admin, fresh_server)

    pins, tokens = {}, {}
    for username, full_name, select, area, _kota, _count in COORDINATORS:
        pins[username] = _create_coordinator(admin, fresh_server, tmp_path, username, full_name, select, area)
        tokens[username] = _create_token(admin, fresh_server, username)
    admin.goto(fresh_server + "/admin/pengguna?role=coordinator")
    listed = {u: admin.locator(f'tr[data-username="{u}"]').inner_text() for u, *_rest in COORDINATORS}
    assert "Kota Tangerang" in listed["koord-tangerang"] and "Banten" in listed["koord-banten"]
    screenshot(admin, "coordinators-01-accounts-1366x768")
    admin_context.close()

    for username, _full_name, _select, area, kota, tps_count in COORDINATORS:
        for size, options in (("390x844", PHONE), ("1366x768", DESKTOP)):
            context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", **options)
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            if username in pins:  # first login: the card's PIN, then a password of one's own
                log_in(page, fresh_server, username, pins.pop(username))
                page.wait_for_url("**/akun/sandi-baru")
                page.fill("#new_password", NEW_PASSWORD)
                page.fill("#new_password_again", NEW_PASSWORD)
                page.click("main button[type=submit]")
                page.wait_for_load_state()
            else:
                log_in(page, fresh_server, username, NEW_PASSWORD)
            page.goto(fresh_server + "/dashboard")
            assert page.locator("#scope-name").inner_text() == area
            assert page.locator("#scope-zone").inner_text() == "WIB"
            total = page.locator("#kecamatan-table tfoot [data-col=tps_total]").inner_text()
            assert int(total) == tps_count
            if len(kota) > 1:  # the province: one row per kab/kota
                rows = page.locator("#kecamatan-table tbody tr[data-kota] th").all_inner_texts()
                assert sorted(rows) == ["Kota Cilegon", "Kota Tangerang"]
            assert page.evaluate("document.documentElement.scrollWidth") <= options["viewport"]["width"]
            assert page.locator("nav.topbar").bounding_box()["height"] < 70  # one row, the username cut if long
            screenshot(page, f"coordinators-{username}-dashboard-{size}")

            page.goto(fresh_server + "/map")
            page.wait_for_function("() => window.SIAGA_MAP && window.SIAGA_MAP.loads > 0")
            # What the map drew on opening: TPS, or (zoomed out, a whole province on a phone) grid cells.
            page.wait_for_function("() => Object.keys(window.SIAGA_MAP.tps).length + window.SIAGA_MAP.cells.length > 0")
            drawn = page.evaluate("Object.values(window.SIAGA_MAP.tps).length"
                                  " + window.SIAGA_MAP.cells.reduce((n, c) => n + c.count, 0)")
            assert drawn == tps_count
            layer = page.request.get(fresh_server + f"/map/data/tps.geojson?bbox={BANTEN_BBOX}&zoom=16").json()
            codes = [f["properties"]["code"] for f in layer["features"] if f["properties"].get("code")]
            assert len(codes) == tps_count and _kota_codes(codes) == kota
            shown = page.evaluate("Object.values(window.SIAGA_MAP.tps).map(p => p.code)")
            assert _kota_codes(shown) <= kota
            south, west, north, east = page.evaluate(
                "(() => { const b = window.SIAGA_MAP.map.getBounds(); "
                "return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; })()")
            lons = [f["geometry"]["coordinates"][0] for f in layer["features"]]
            lats = [f["geometry"]["coordinates"][1] for f in layer["features"]]
            # Opens on the area: its TPS inside the view, and not the whole province around a single kab/kota.
            assert west <= min(lons) and east >= max(lons) and south <= min(lats) and north >= max(lats)
            assert east - west < 2.5
            screenshot(page, f"coordinators-{username}-map-{size}", full_page=False)

            _check_api(page.request, fresh_server, {}, kota, tps_count)  # the browser session
            context.close()
        _check_api(browser.new_context().request, fresh_server,
                   {"Authorization": f"Bearer {tokens[username]}"}, kota, tps_count)  # the token
    assert not errors, errors
