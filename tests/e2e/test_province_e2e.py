"""A province coordinator's dashboard and map in Chromium, at 390x844 and 1366x768: the demo's Kota
Pangkalpinang plus Kabupaten Bangka picked from the national list (`flask areas setup 19.01`), a coordinator
given the province (`flask set-scope --area 19`). The dashboard lists each kab/kota of the province; the map
opens on the province and shows its TPS. Screenshots: test-artifacts/screenshots/province-*.png."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.e2e import conftest as e2e_conftest
from tests.e2e.conftest import ROOT, demo_env, log_in, own_database_url, screenshot, serve

pytestmark = pytest.mark.e2e
SCHEMA = "siaga_e2e_province"
COORDINATOR = "koordinator-babel"

# Three TPS of Kabupaten Bangka, written as an importer would (a unit of work), for the map to show: its
# desa come from the national list without outlines.
ADD_BANGKA_TPS = """
from sqlalchemy import select
from siaga.app import create_app
from siaga.extensions import db
from logistics.models import Kelurahan, Tps
from logistics.services.unit_of_work import UnitOfWork
app = create_app()
with app.app_context():
    with UnitOfWork(db.session) as uow:
        for code, n, lat, lon in (("19.01.01.1001", 1, -1.851, 106.121), ("19.01.01.1001", 2, -1.853, 106.124),
                                  ("19.01.01.1002", 1, -1.870, 106.100)):
            kel = db.session.scalar(select(Kelurahan).where(Kelurahan.kode_kemendagri == code))
            db.session.add(Tps(code=f"{code}-{n:03d}", kelurahan_id=kel.id, number=n, address="Sungailiat",
                               lat=lat, lon=lon, dpt=250))
        uow.commit()
"""


@pytest.fixture(scope="module")
def province_server(database_url, tmp_path_factory):
    env = demo_env(own_database_url(database_url, tmp_path_factory, SCHEMA))
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for step in (["db", "upgrade"], ["seed-demo"], ["areas", "setup", "19.01"]):
        subprocess.run(flask + step, cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-c", ADD_BANGKA_TPS], cwd=ROOT, env=env, check=True, capture_output=True)
    for step in (["create-admin", COORDINATOR, "--password", DEMO_PASSWORD],
                 ["set-scope", COORDINATOR, "--area", "19", "--role", "coordinator"]):
        subprocess.run(flask + step, cwd=ROOT, env=env, check=True, capture_output=True)
    with pytest.MonkeyPatch.context() as patch:
        if os.environ.get("E2E_PORT"):  # a port of one's own (a shared machine), else any free one
            patch.setattr(e2e_conftest, "free_port", lambda: int(os.environ["E2E_PORT"]))
        yield from serve(env, (), tmp_path_factory)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_province_coordinator_sees_each_kab_kota_and_the_province_map(size, request, province_server):
    page = request.getfixturevalue(size)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, province_server, COORDINATOR)
    page.wait_for_url("**/dashboard")
    assert page.locator("#scope-name").inner_text() == "Kepulauan Bangka Belitung"
    assert page.locator("#scope-zone").inner_text() == "WIB"
    kota = page.locator("#kecamatan-table tr[data-kota] th").all_inner_texts()
    assert kota == ["Kabupaten Bangka", "Kota Pangkal Pinang"]
    assert page.locator("#area-readiness tr[data-kota] th").all_inner_texts() == kota  # what each still lacks
    label = "phone-390x844" if size == "phone" else "desktop-1366x768"
    screenshot(page, f"province-dashboard-{label}")
    # One kab/kota opens its kecamatan; back up to the province.
    page.locator("#kecamatan-table tr[data-kota] th a", has_text="Kabupaten Bangka").click()
    page.wait_for_load_state()
    assert "Sungailiat" in page.locator("#dashboard-body").inner_text()
    page.goto(province_server + "/map")
    page.wait_for_function("() => window.SIAGA_MAP && window.SIAGA_MAP.loads > 0")
    bounds = page.evaluate("(() => { const b = window.SIAGA_MAP.map.getBounds(); "
                           "return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; })()")
    south, west, north, east = bounds
    assert west <= 106.10 and east >= 106.2 and south <= -2.1 and north >= -1.86  # Bangka's TPS and Pangkalpinang
    assert east - west < 5  # the province, not the country
    screenshot(page, f"province-map-{label}", full_page=False)
    assert not errors, errors
