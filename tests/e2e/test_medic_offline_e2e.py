"""Medics' and couriers' taps offline, like the officer's (phone 390x844): "Selesai" asks first in a dialog,
is queued, shows pending on its card and is stored once on reconnect; a check-in is queued, not lost to
the browser's offline page; a courier's card follows a queued "Berangkat" at once. No JavaScript error."""
import pytest

from tests.e2e.conftest import log_in_field, scalar, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture()
def field_phone(phone):
    """A fresh phone whose page errors (uncaught exceptions) are collected in `page.errors`."""
    phone.set_default_timeout(15_000)
    phone.errors = []
    phone.on("pageerror", lambda error: phone.errors.append(str(error)))
    return phone


def open_as(page, base_url: str, username: str, path: str) -> None:
    log_in_field(page, base_url, username)
    page.goto(base_url + path)
    page.wait_for_function("() => window.siagaOutbox !== undefined")


def reconnect(page) -> None:
    """Signal again: the queue sends what waits, with no JavaScript error on the way."""
    page.context.set_offline(False)
    page.wait_for_function("() => window.siagaOutbox.pending() === 0")
    page.wait_for_selector(".flash:has-text('Terkirim')")
    assert page.errors == []


def closable_card(page, base_url: str, engine):
    """A new incident at a TPS the medic's station covers, responded to: its station card has "Selesai"."""
    tps_id = scalar(engine, "SELECT c.tps_id FROM tps_coverage c JOIN app_user u "
                            "ON u.medic_station_id = c.medic_station_id WHERE u.username = 'medis' "
                            "ORDER BY c.tps_id LIMIT 1")
    page.goto(f"{base_url}/lapangan/kejadian/baru?tps_id={tps_id}")
    page.wait_for_function("() => window.siagaOutbox !== undefined")
    page.check("input[name=complaint][value=kelelahan]")
    page.check("input[name=triage][value=kuning]")
    page.click("#incident-form button[type=submit]")
    page.wait_for_selector(".flash:has-text('Laporan terkirim')")
    incident_id = int(page.url.rstrip("/").split("/")[-1])
    page.goto(base_url + "/lapangan/pos")
    page.wait_for_function("() => window.siagaOutbox !== undefined")
    page.locator(f"#kejadian-{incident_id} form:has(input[name=to_status][value=responding]) button").click()
    page.wait_for_selector(".flash:has-text('Status kejadian')")
    page.wait_for_function("() => window.siagaOutbox !== undefined")
    return page.locator(f"#kejadian-{incident_id}")


def test_the_medic_closes_an_incident_offline_once(field_phone, live_server, e2e_db):
    medic = field_phone
    log_in_field(medic, live_server, "medis")
    card = closable_card(medic, live_server, e2e_db)
    incident_id = int(card.get_attribute("id").split("-")[1])
    medic.context.set_offline(True)
    medic.wait_for_function("() => navigator.onLine === false")
    card.locator("form:has(input[name=to_status][value=closed]) button").click()
    dialog = medic.locator("dialog.confirm")
    dialog.wait_for()
    assert f"Tutup kejadian #{incident_id}?" in dialog.inner_text()
    screenshot(medic, "field-medic-close-dialog-390x844", full_page=False)
    dialog.locator("button.secondary").click()  # Batal: nothing queued
    assert medic.locator("dialog.confirm").count() == 0 and medic.evaluate("window.siagaOutbox.pending()") == 0
    card.locator("form:has(input[name=to_status][value=closed]) button").click()
    medic.locator("dialog.confirm button.danger").click()  # Ya, selesai
    medic.wait_for_selector("#outbox:has-text('Menunggu dikirim (1)')")
    assert card.locator(".pending-note").inner_text() == f"Menunggu dikirim: #{incident_id} Selesai"
    assert card.locator(".status").inner_text() == "Selesai"
    assert all(b.is_disabled() for b in card.locator("form button").all())
    card.scroll_into_view_if_needed()
    screenshot(medic, "field-medic-close-pending-390x844", full_page=False)
    assert medic.errors == []
    assert scalar(e2e_db, "SELECT status FROM health_incident WHERE id = :i", i=incident_id) != "closed"

    reconnect(medic)
    assert card.locator(".pending-note").inner_text() == f"Terkirim: #{incident_id} Selesai"
    assert scalar(e2e_db, "SELECT status FROM health_incident WHERE id = :i", i=incident_id) == "closed"
    assert scalar(e2e_db, "SELECT count(*) FROM audit_entry WHERE entity_type = 'health_incident' "
                          "AND entity_id = :i AND action = 'incident.closed'", i=incident_id) == 1
    # Stamped when tapped (offline), kept beside the time received.
    assert scalar(e2e_db, "SELECT count(*) FROM audit_entry WHERE entity_type = 'health_incident' AND entity_id = :i "
                          "AND action = 'incident.closed' AND tapped_at IS NOT NULL AND tapped_note IS NULL",
                  i=incident_id) == 1


def test_a_step_on_the_incident_page_offline_shows_in_its_status(field_phone, live_server, e2e_db):
    medic = field_phone
    log_in_field(medic, live_server, "medis")
    incident_id = int(closable_card(medic, live_server, e2e_db).get_attribute("id").split("-")[1])
    medic.goto(f"{live_server}/lapangan/kejadian/{incident_id}")
    medic.wait_for_function("() => window.siagaOutbox !== undefined")
    medic.context.set_offline(True)
    medic.wait_for_function("() => navigator.onLine === false")
    medic.locator("form:has(input[name=to_status][value=treated_on_site]) button").click()
    medic.wait_for_selector("#outbox:has-text('Menunggu dikirim (1)')")
    status = medic.locator(f".status[data-status-of=kejadian-{incident_id}]")
    assert status.inner_text() == "Ditangani di tempat" and "pending" in status.get_attribute("class")
    assert medic.locator(".pending-note").inner_text() == f"Menunggu dikirim: #{incident_id} Ditangani di tempat"
    assert medic.errors == []
    reconnect(medic)
    assert scalar(e2e_db, "SELECT status FROM health_incident WHERE id = :i", i=incident_id) == "treated_on_site"
    assert scalar(e2e_db, "SELECT count(*) FROM audit_entry WHERE entity_type = 'health_incident' "
                          "AND entity_id = :i AND action = 'incident.treated_on_site'", i=incident_id) == 1


def test_a_check_in_queued_offline_is_stored_once(field_phone, live_server, e2e_db):
    medic = field_phone
    open_as(medic, live_server, "medis", "/lapangan/kesehatan/")
    form = medic.locator("form.checkin").first
    checkin_id = int(form.get_attribute("action").rstrip("/").split("/")[-1])
    medic.context.set_offline(True)
    medic.wait_for_function("() => navigator.onLine === false")
    form.locator("input[name=catatan]").fill("Tensi turun, minum cukup (e2e)")
    form.locator("button[type=submit]").click()
    medic.wait_for_selector("#outbox:has-text('Menunggu dikirim (1)')")
    assert "/lapangan/kesehatan" in medic.url  # still the page, not the browser's offline page
    card = medic.locator("article.card", has=form)
    assert card.locator(".pending-note").inner_text().startswith("Menunggu dikirim: Pemeriksaan")
    assert form.locator("button[type=submit]").is_disabled()
    screenshot(medic, "field-medic-checkin-pending-390x844", full_page=False)
    assert medic.errors == []

    reconnect(medic)
    assert scalar(e2e_db, "SELECT notes FROM health_checkin WHERE id = :c AND done_at IS NOT NULL",
                  c=checkin_id) == "Tensi turun, minum cukup (e2e)"
    assert scalar(e2e_db, "SELECT count(*) FROM audit_entry WHERE entity_type = 'health_checkin' "
                          "AND entity_id = :c", c=checkin_id) == 1


def test_the_couriers_card_follows_an_offline_departure_at_once(field_phone, live_server, e2e_db):
    courier = field_phone
    open_as(courier, live_server, "kurir", "/lapangan/rute")
    card = courier.locator(".card.delivery:has(button[value=dispatched])").first
    delivery_id = int(card.get_attribute("id").split("-")[1])
    assert card.locator(".status").inner_text() == "Direncanakan"
    courier.context.set_offline(True)
    courier.wait_for_function("() => navigator.onLine === false")
    card.locator("button[value=dispatched]").click()
    courier.wait_for_selector("#outbox:has-text('Menunggu dikirim (1)')")
    assert card.locator(".status").inner_text() == "Dalam perjalanan"  # at once, no reload
    assert "pending" in card.locator(".status").get_attribute("class")
    assert card.locator(".pending-note").inner_text().startswith("Menunggu dikirim:")
    card.scroll_into_view_if_needed()
    screenshot(courier, "field-courier-departure-pending-390x844", full_page=False)
    assert courier.errors == []

    reconnect(courier)
    assert scalar(e2e_db, "SELECT status FROM delivery WHERE id = :d", d=delivery_id) == "dispatched"
    assert scalar(e2e_db, "SELECT count(*) FROM audit_entry WHERE entity_type = 'delivery' AND entity_id = :d "
                          "AND action = 'delivery.dispatched'", d=delivery_id) == 1
