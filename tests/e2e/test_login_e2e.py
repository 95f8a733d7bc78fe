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
