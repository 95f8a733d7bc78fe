"""Operations pages in a real browser: the medic's check-ins on a phone, the meal plan on a desktop."""
import pytest

from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e


def test_medic_ticks_off_a_high_risk_officers_check_at_phone_width(phone, live_server):
    log_in(phone, live_server, "medis")
    phone.goto(live_server + "/lapangan/kesehatan/?tanggal=2025-08-27")
    assert phone.locator("h1").inner_text() == "Petugas risiko tinggi"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    first = phone.locator("article.card").first
    name = first.locator("h3").inner_text()
    button = first.locator("button[type=submit]")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    screenshot(phone, "medic-checkins-390x844", full_page=False)
    first.locator("select").select_option("perlu_tindak_lanjut")
    first.locator("input[name=catatan]").fill("Tensi 165/100, istirahat 30 menit")
    button.click()
    phone.wait_for_load_state()
    assert "Pemeriksaan dicatat." in phone.locator(".flash").inner_text()
    card = phone.locator("article.card", has_text=name).first
    assert "Perlu tindak lanjut" in card.inner_text()
    screenshot(phone, "medic-checkin-done-390x844", full_page=False)


def test_coordinator_reads_the_meal_plan(desktop, live_server):
    log_in(desktop, live_server, "koordinator")
    desktop.goto(live_server + "/rencana/konsumsi?putaran=siang")
    assert desktop.locator("tbody tr").count() == 319
    assert desktop.locator(".risk").count() >= 1
    screenshot(desktop, "meal-plan-1366x768", full_page=False)
    desktop.goto(live_server + "/rencana/jaga")
    assert desktop.locator("h2").count() == 8
    screenshot(desktop, "rosters-1366x768", full_page=False)
