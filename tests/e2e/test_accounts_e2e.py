"""Field staff logins end to end: an admin provisions a kecamatan's couriers and medics and downloads their
login cards; a phone opens a card's QR code, logs in with its PIN and sets its own password."""
import re

import pytest

from tests.e2e.conftest import DESKTOP, log_in, screenshot
from tests.test_field_accounts import read_cards

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "nasi bungkus jam dua belas"


def test_admin_prints_cards_and_a_phone_logs_in_with_one(browser, live_server, phone, tmp_path):
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", accept_downloads=True, **DESKTOP)
    context.set_default_timeout(60_000)  # one scrypt hash per PIN
    admin = context.new_page()
    log_in(admin, live_server, "admin")
    admin.goto(live_server + "/admin/pengguna")
    form = admin.locator("#provision-form")
    form.locator("select[name=kecamatan]").select_option(label="Girimaya")
    form.locator("input[value=field_officer]").uncheck()  # couriers and medics: a short print run
    screenshot(admin, "admin-users-1366", full_page=False)
    with admin.expect_download() as download_info:
        form.locator("button[type=submit]").click()
    pdf_path = tmp_path / "cards.pdf"
    download_info.value.save_as(pdf_path)
    assert download_info.value.suggested_filename.endswith(".pdf")
    pages, text, codes = read_cards(pdf_path.read_bytes())
    assert text.count("PIN sekali pakai") == len(codes) >= 4
    courier_url = sorted(c for c in codes if "u=kurir-" in c)[0]
    username = courier_url.split("u=")[1]
    assert courier_url == f"{live_server}/login?u={username}"
    printed = re.search(rf"{re.escape(username)}\s*PIN sekali pakai\s*((?:[0-9A-Z]\s*){{10}})", text).group(1)
    pin = re.sub(r"\s", "", printed)
    admin.goto(live_server + "/admin/pengguna?kecamatan=&role=courier&masuk=belum")
    assert admin.locator(f'tr[data-username="{username}"]').count() == 1
    screenshot(admin, "admin-users-after-provisioning-1366")
    admin.goto(live_server + "/dashboard")
    admin.locator("#readiness summary").click()
    assert "Kurir 0/" in admin.locator("#readiness summary").inner_text()
    admin.locator("#readiness").scroll_into_view_if_needed()
    screenshot(admin, "dashboard-readiness-1366", full_page=False)
    context.close()

    # The phone scans the QR code: the login page with the username filled in.
    phone.goto(courier_url)
    assert phone.locator("#username").input_value() == username
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "card-login-390x844")
    phone.fill("#password", printed.strip().lower())  # as a phone's keyboard may type it: small letters, a space
    phone.click("button[type=submit]")
    phone.wait_for_load_state()
    assert phone.url.endswith("/akun/sandi-baru")
    assert "minimal 12 karakter" in phone.locator("main").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "first-login-new-password-390x844")
    phone.fill("#new_password", NEW_PASSWORD)
    phone.fill("#new_password_again", NEW_PASSWORD)
    phone.click("main button[type=submit]")
    phone.wait_for_load_state()
    assert "/lapangan/" in phone.url and "Kata sandi disimpan" in phone.locator("main").inner_text()
    screenshot(phone, "first-login-done-390x844", full_page=False)

    # The PIN worked once; the new password works.
    phone.click("nav.topbar form button")
    phone.wait_for_load_state()
    log_in(phone, live_server, username, pin)
    assert "Nama pengguna atau kata sandi salah." in phone.locator(".error").inner_text()
    log_in(phone, live_server, username, NEW_PASSWORD)
    assert "/lapangan/" in phone.url
