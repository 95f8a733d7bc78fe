"""Logging in from a phone-sized browser."""
import pytest

from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e


def test_login_at_phone_width(phone, live_server):
    phone.goto(live_server + "/login")
    assert phone.locator("h1").inner_text() == "Masuk"
    button = phone.locator("button[type=submit]").bounding_box()
    assert button["height"] >= 44 and button["width"] >= 44
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    screenshot(phone, "login-390x844")

    log_in(phone, live_server, "koordinator", "wrong-password")
    assert "Nama pengguna atau kata sandi salah." in phone.locator(".error").inner_text()

    log_in(phone, live_server, "koordinator")
    assert "koordinator" in phone.locator("nav.topbar").inner_text()
    screenshot(phone, "home-after-login-390x844")


def test_too_many_failed_logins_are_explained_in_bahasa(phone, live_server):
    for _ in range(11):  # an unknown username: no demo account is locked for the other browser tests
        log_in(phone, live_server, "belum-terdaftar", "tebakan")
    assert "Terlalu banyak percobaan masuk yang gagal" in phone.locator(".error").inner_text()
    screenshot(phone, "login-throttled-390x844")


def test_password_page_at_phone_width(phone, live_server):
    log_in(phone, live_server, "medis")
    phone.click("nav.topbar a[title='Ganti kata sandi']")  # the username: one's account
    assert phone.locator("h1").inner_text() == "Ganti kata sandi"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.fill("#old_password", "salah-sekali")
    phone.fill("#new_password", "sandi-baru-yang-panjang")
    phone.fill("#new_password_again", "sandi-baru-yang-panjang")
    phone.click("main button[type=submit]")
    assert "Kata sandi lama salah." in phone.locator("#old_password-error").inner_text()
    screenshot(phone, "password-change-390x844")


def test_pages_load_without_console_errors(desktop, live_server):
    """The browser logs nothing as an error on the login page and a logged-in page: no resource the browser
    asks for by itself (the tab's icon, /favicon.ico without one named) answers 404."""
    errors = []
    desktop.on("console", lambda m: m.type == "error" and errors.append(m.text))
    desktop.on("pageerror", lambda e: errors.append(str(e)))
    desktop.goto(live_server + "/login")
    desktop.wait_for_load_state("networkidle")
    log_in(desktop, live_server, "koordinator")
    desktop.wait_for_load_state("networkidle")
    assert errors == []
    # The icon is inline: no request of its own on a phone's plan.
    assert desktop.locator("link[rel=icon]").get_attribute("href").startswith("data:image/svg+xml,")
