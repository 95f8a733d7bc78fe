"""Field pages in a phone-sized headless Chromium against the demo city.

`petugas` confirms lunch, reports an incident while offline, comes back online and the incident arrives
exactly once (even when the queued submission is replayed) at the station nearest the TPS, the demo
medic's; `medis` responds and refers the patient to RSUD Depati Hamzah.
"""
import pytest

from tests.e2e.conftest import log_in_field, new_phone, scalar, screenshot, wait_for_field_script

pytestmark = pytest.mark.e2e
PAGE_BUDGET = 100 * 1024


def test_officer_lunch_offline_incident_then_medic_refers(phone, browser, live_server, e2e_db):
    log_in_field(phone, live_server, "petugas")
    assert "/lapangan/tps/" in phone.url
    assert "TPS 001 · Semabung Lama" in phone.locator("h1").inner_text()
    screenshot(phone, "field-officer-home-390x844")

    # Lunch arrives: "Diterima" with the planned quantity.
    phone.click("text=Konsumsi & logistik")
    wait_for_field_script(phone)
    lunch = phone.locator(".delivery", has_text="Makan siang")
    planned = lunch.locator("input[name=quantity_received]").input_value()
    lunch.locator("button[value=short]").click()  # "Kurang" but the full quantity: refused, said why
    lunch.locator(".field-error").wait_for()
    assert "kurang dari " + planned in lunch.locator(".field-error").inner_text()
    lunch.locator("button[value=delivered]").click()
    phone.wait_for_selector(".flash:has-text('Penerimaan tercatat')")
    lunch = phone.locator(".delivery", has_text="Makan siang")
    assert "Diterima" in lunch.inner_text() and f"{planned} porsi" in lunch.inner_text()
    screenshot(phone, "field-deliveries-390x844")

    # An incident reported with no connection is kept on the phone...
    tps_id = int(phone.url.split("/tps/")[1].split("/")[0])
    before = scalar(e2e_db, "SELECT count(*) FROM health_incident WHERE tps_id = :t", t=tps_id)
    phone.goto(live_server + "/lapangan/kejadian/baru")
    phone.context.set_offline(True)
    phone.check("input[name=patient_kind][value=officer]")
    phone.click("label.choice:has-text('pingsan')")
    phone.click("label.triage-choice.triage-merah")
    phone.fill("#patient_name", "Budi E2E")
    phone.click("#incident-form button[type=submit]")
    phone.wait_for_selector("#outbox:has-text('Menunggu dikirim (1)')")
    screenshot(phone, "field-incident-queued-offline-390x844")
    queued = phone.evaluate("localStorage.getItem('siaga-outbox-v1')")
    assert scalar(e2e_db, "SELECT count(*) FROM health_incident WHERE tps_id = :t", t=tps_id) == before

    # ...and sent once the connection returns.
    phone.context.set_offline(False)
    phone.wait_for_function("() => window.siagaOutbox.pending() === 0")
    phone.wait_for_selector(".flash:has-text('Terkirim')")
    assert phone.locator("#outbox").is_hidden()
    # The same submission replayed twice more (a flaky network resending it) creates nothing new.
    for _ in range(2):
        phone.evaluate("q => localStorage.setItem('siaga-outbox-v1', q)", queued)
        phone.evaluate("window.siagaOutbox.flush()")
        phone.wait_for_function("() => window.siagaOutbox.pending() === 0")
    assert scalar(e2e_db, "SELECT count(*) FROM health_incident WHERE tps_id = :t", t=tps_id) == before + 1
    incident_id = scalar(e2e_db, "SELECT max(id) FROM health_incident WHERE tps_id = :t AND patient_name = 'Budi E2E'",
                         t=tps_id)
    assert incident_id

    # It went by itself to the station nearest the TPS, where the demo medic works (the demo accounts meet).
    assert scalar(e2e_db, "SELECT medic_station_id FROM health_incident WHERE id = :i", i=incident_id) == \
        scalar(e2e_db, "SELECT medic_station_id FROM app_user WHERE username = 'medis'")

    # The medic sees it, responds, then refers the patient to the hospital.
    context, medic = new_phone(browser)
    log_in_field(medic, live_server, "medis")
    card = medic.locator(f"#kejadian-{incident_id}")
    assert "pingsan" in card.inner_text() and "Merah" in card.inner_text()
    screenshot(medic, "field-medic-station-390x844")
    card.locator("button:has-text('Menuju / menangani')").click()
    medic.wait_for_selector(".flash:has-text('Ditangani')")
    medic.goto(f"{live_server}/lapangan/kejadian/{incident_id}")
    medic.select_option("#facility", label="RSUD Depati Hamzah")
    medic.click("button:has-text('Rujuk')")
    medic.wait_for_selector(".flash:has-text('Dirujuk')")
    assert "RSUD Depati Hamzah" in medic.locator("main").inner_text()
    assert "menit" in medic.locator("main").inner_text()
    screenshot(medic, "field-incident-referred-390x844")
    context.close()
    row = scalar(e2e_db, "SELECT status FROM health_incident WHERE id = :i", i=incident_id)
    assert row == "referred"
    assert scalar(e2e_db, "SELECT count(*) FROM health_incident WHERE tps_id = :t", t=tps_id) == before + 1


def test_a_post_made_after_the_session_ended_is_kept_and_sent_after_logging_in(phone, live_server, e2e_db):
    log_in_field(phone, live_server, "petugas")
    tps_id = int(phone.url.split("/tps/")[1].split("/")[0])
    count = scalar(e2e_db, "SELECT officers_present FROM tps WHERE id = :t", t=tps_id)
    new_count = 5 if count != 5 else 6
    # The pages copied for offline use at login are fetched first: a copy still under way when the cookies
    # go would come back without a session and set a fresh (anonymous) session cookie.
    phone.wait_for_function("() => document.documentElement.dataset.precached !== undefined", timeout=30_000)
    phone.context.clear_cookies()  # the session lapsed while the page stayed open
    assert not [c for c in phone.context.cookies() if c["name"] == "session"]
    phone.fill("#officers_present", str(new_count))
    phone.click("button:has-text('Kirim jumlah petugas')")
    phone.wait_for_selector("#outbox:has-text('Menunggu dikirim (1)')")
    assert phone.locator(".error", has_text="silakan masuk lagi").count() == 1
    assert scalar(e2e_db, "SELECT officers_present FROM tps WHERE id = :t", t=tps_id) == count
    log_in_field(phone, live_server, "petugas")
    phone.wait_for_function("() => window.siagaOutbox.pending() === 0")
    assert scalar(e2e_db, "SELECT officers_present FROM tps WHERE id = :t", t=tps_id) == new_count


def test_field_pages_open_without_a_connection_once_visited(phone, live_server):
    log_in_field(phone, live_server, "petugas")
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
    phone.goto(live_server + "/lapangan/kejadian/baru")  # through the service worker: kept for later
    phone.context.set_offline(True)
    phone.goto(live_server + "/lapangan/kejadian/baru")
    assert phone.locator("#incident-form").is_visible()
    assert phone.locator(".warning", has_text="Sedang offline").count() == 1
    screenshot(phone, "field-incident-form-offline-390x844")
    phone.context.set_offline(False)


FIELD_PAGES = {
    "petugas": ["/lapangan/tps", "/lapangan/tps/1/kiriman", "/lapangan/kejadian/baru"],
    "kurir": ["/lapangan/rute"],
    "medis": ["/lapangan/pos"],
}


@pytest.mark.parametrize("username", sorted(FIELD_PAGES))
def test_field_pages_are_light_and_thumb_friendly(browser, live_server, username):
    context, page = new_phone(browser)
    context.route("**/*", lambda route: route.continue_())  # routing turns the HTTP cache off: first loads
    log_in_field(page, live_server, username)
    for path in FIELD_PAGES[username]:
        responses = []

        def collect(response, into=responses):
            into.append(response)

        page.on("response", collect)
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        page.remove_listener("response", collect)
        total = sum(len(r.body()) for r in responses if r.status == 200)
        assert any(r.url.endswith("field.js") for r in responses) and any(r.url.endswith(".css") for r in responses)
        assert total < PAGE_BUDGET, f"{path}: {total} bytes"
        print(f"{path}: {total} bytes")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{path} scrolls sideways"
        small = page.evaluate("""() => Array.from(document.querySelectorAll(
              'a, button, select, summary, label.choice, input:not([type=hidden]):not([type=radio])'))
            .filter(e => e.offsetParent !== null)
            .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
            .filter(([_, r]) => r.height < 44 || r.width < 44).map(([h]) => h)""")
        assert small == [], f"{path}: tap targets under 44 px: {small}"
        screenshot(page, "field-" + path.strip("/").replace("/", "-") + "-390x844")
    context.close()
