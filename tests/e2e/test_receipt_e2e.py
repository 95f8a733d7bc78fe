"""The courier marks "sampai", the TPS officer confirms quantity and receiver; irreversible steps ask
first in a <dialog> (phone 390x844, JavaScript on)."""
import pytest
from sqlalchemy import text

from tests.e2e.conftest import log_in_field, screenshot

pytestmark = pytest.mark.e2e


def one(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).one()


def test_courier_arrives_then_the_officer_confirms(phone, browser, live_server, e2e_db):
    from tests.e2e.conftest import PHONE

    # The demo courier is given the demo officer's breakfast, so both demo accounts take part.
    with e2e_db.begin() as conn:
        delivery_id, quantity = conn.execute(text(
            "SELECT d.id, d.quantity_planned FROM delivery d JOIN app_user u ON u.tps_id = d.tps_id "
            "WHERE u.username = 'petugas' AND d.meal_round = 'pagi'")).one()
        conn.execute(text("UPDATE delivery SET courier_id = (SELECT person_id FROM app_user WHERE username = 'kurir') "
                          "WHERE id = :d"), {"d": delivery_id})
    log_in_field(phone, live_server, "kurir")
    stop = phone.locator(f"#kiriman-{delivery_id}")
    stop.locator("button[value=dispatched]").click()
    phone.wait_for_selector(".flash:has-text('Tercatat dalam perjalanan')")
    stop = phone.locator(f"#kiriman-{delivery_id}")
    assert stop.locator("button[value=delivered]").count() == 0  # the courier cannot post the receipt
    stop.locator("button[value=arrived]").click()
    phone.wait_for_selector(".flash:has-text('Tercatat sampai')")
    stop = phone.locator(f"#kiriman-{delivery_id}")
    assert "Sampai, belum dikonfirmasi" in stop.inner_text() and "Sudah sampai" in stop.inner_text()
    screenshot(phone, "field-courier-arrived-390x844")
    status, received, receiver = one(e2e_db, "SELECT status, quantity_received, received_by FROM delivery WHERE id = :d",
                                     d=delivery_id)
    assert (status, received, receiver) == ("arrived", None, None)

    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", **PHONE)
    officer = context.new_page()
    log_in_field(officer, live_server, "petugas")
    officer.click("text=Konsumsi & logistik")
    card = officer.locator(f"#kiriman-{delivery_id}")
    assert "Kurir menandai sampai" in card.inner_text()
    screenshot(officer, "field-officer-confirms-arrival-390x844")
    card.locator("input[name=quantity_received]").fill(str(quantity - 1))
    card.locator("input[name=received_by]").fill("Siti E2E")
    card.locator("button[value=short]").click()
    officer.wait_for_selector(".flash:has-text('Penerimaan tercatat')")
    status, received, receiver = one(e2e_db, "SELECT status, quantity_received, received_by FROM delivery WHERE id = :d",
                                     d=delivery_id)
    assert (status, received, receiver) == ("delivered", quantity - 1, "Siti E2E")
    card = officer.locator(f"#kiriman-{delivery_id}")
    assert card.locator("summary.button", has_text="Koreksi").is_visible()
    screenshot(officer, "field-officer-confirmed-390x844")
    context.close()


def test_irreversible_steps_ask_first_in_a_dialog(phone, live_server, e2e_db):
    log_in_field(phone, live_server, "petugas")
    tps_url = phone.url
    tps_id = int(tps_url.split("/tps/")[1].split("/")[0])
    status = lambda: one(e2e_db, "SELECT status FROM tps WHERE id = :t", t=tps_id)[0]  # noqa: E731
    assert status() == "setup"

    # Straight to "handed over" skips three steps: a dialog asks, with a reason.
    phone.locator("form", has=phone.locator("input[name=to_status][value=handed_over]")).locator("button").click()
    dialog = phone.locator("dialog.confirm")
    dialog.wait_for()
    assert "akan dilewati" in dialog.inner_text()
    screenshot(phone, "field-confirm-skip-dialog-390x844", full_page=False)
    dialog.locator("button.secondary").click()  # Batal
    assert phone.locator("dialog.confirm").count() == 0 and status() == "setup"

    phone.locator("form", has=phone.locator("input[name=to_status][value=handed_over]")).locator("button").click()
    dialog = phone.locator("dialog.confirm")
    dialog.locator("button.danger").click()  # no reason yet: the dialog stays
    assert dialog.is_visible() and status() == "setup"
    dialog.locator("input").fill("Latihan e2e: langkah lupa dilaporkan")
    dialog.locator("button.danger").click()
    phone.wait_for_selector(".flash:has-text('Status tercatat')")
    assert status() == "handed_over"
    reason = one(e2e_db, "SELECT after FROM audit_entry WHERE entity_type = 'tps' AND entity_id = :t "
                         "AND action = 'tps.handed_over' ORDER BY id DESC LIMIT 1", t=tps_id)[0]
    assert "Latihan e2e" in str(reason)

    # "Koreksi data yang salah" is a button; the mistaken hand-over goes back, with a reason.
    summary = phone.locator("summary.button", has_text="Koreksi data yang salah")
    screenshot(phone, "field-tps-correction-button-390x844")
    summary.click()
    phone.select_option("#to_status", "setup")
    phone.fill("#reason", "Uji e2e selesai")
    phone.click("text=Kirim koreksi")
    phone.wait_for_selector(".flash:has-text('Koreksi tercatat')")
    assert status() == "setup"

    # "Tidak datang" asks too; cancelling leaves the delivery as it was.
    phone.click("text=Konsumsi & logistik")
    phone.wait_for_function("() => window.siagaOutbox !== undefined")  # the dialog is field.js's
    card = phone.locator(".delivery", has_text="Makan malam")
    card.locator("button[value=failed]").click()
    dialog = phone.locator("dialog.confirm")
    dialog.wait_for()
    assert "tidak datang" in dialog.inner_text().lower()
    screenshot(phone, "field-confirm-no-show-dialog-390x844", full_page=False)
    dialog.locator("button.secondary").click()
    assert one(e2e_db, "SELECT count(*) FROM delivery d JOIN app_user u ON u.tps_id = d.tps_id "
                       "WHERE u.username = 'petugas' AND d.status = 'failed'")[0] == 0
