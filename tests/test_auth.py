"""Logging in and out of the browser pages."""
import re

import pytest

from tests.conftest import DEMO_PASSWORD


def csrf_token(client, path="/login"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def login(client, username, password=DEMO_PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client), **extra})


def test_login_page_is_in_bahasa_by_default_and_english_on_request(client):
    assert "Nama pengguna" in client.get("/login").get_data(as_text=True)
    client.get("/bahasa/en")
    assert "Username" in client.get("/login").get_data(as_text=True)


def test_login_sets_a_hardened_session_cookie(client):
    response = login(client, "koordinator")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with client.session_transaction() as s:
        assert isinstance(s["user_id"], int)


def test_wrong_password_is_refused_with_a_message(client):
    response = login(client, "koordinator", "salah")
    assert response.status_code == 400
    assert "Nama pengguna atau kata sandi salah." in response.get_data(as_text=True)
    with client.session_transaction() as s:
        assert "user_id" not in s


@pytest.mark.parametrize("username, password", [("", "x"), ("koordinator", "")])
def test_empty_fields_are_refused(client, username, password):
    assert login(client, username, password).status_code == 400


def test_post_without_csrf_token_is_refused_in_bahasa(client):
    response = client.post("/login", data={"username": "koordinator", "password": DEMO_PASSWORD},
                           headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in response.get_data(as_text=True)


def test_next_only_redirects_within_the_site(client):
    response = client.post("/login?next=//evil.example/x", data={
        "username": "koordinator", "password": DEMO_PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and not response.headers["Location"].startswith("//evil")


def test_logout_clears_the_session(client):
    login(client, "petugas")
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    with client.session_transaction() as s:
        assert "user_id" not in s


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_home_shows_the_city(client):
    page = client.get("/").get_data(as_text=True)
    assert "Kota Pangkal Pinang" in page and "169.016" in page
