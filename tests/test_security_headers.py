"""HTTP security headers: HSTS in production only; `Cache-Control: no-store` on everything that may carry
personal data (pages, exports, map data, API answers to a logged-in user or a token); static files cached."""
import pytest

from logistics.actor import Actor
from logistics.services.api_tokens import create_token
from siaga.security import HSTS
from tests.field_client import log_in_as


@pytest.fixture()
def production(app, monkeypatch):
    monkeypatch.setitem(app.config, "SIAGA_ENV", "production")


def test_hsts_in_production_for_a_year_with_subdomains(client, production):
    for path in ("/login", "/healthz", "/static/css/base.css"):
        header = client.get(path).headers["Strict-Transport-Security"]
        assert header == HSTS
    max_age = int(HSTS.split("max-age=")[1].split(";")[0])
    assert max_age >= 365 * 24 * 3600 and "includeSubDomains" in HSTS


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


@pytest.mark.parametrize("path", ["/login", "/", "/bahasa/en"])
def test_pages_are_not_stored_even_without_a_login(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", [
    "/dashboard", "/map", "/dashboard/export/incidents.csv", "/dashboard/export/tps.xlsx",
    "/map/data/incidents.geojson?bbox=105,-3,107,-1", "/map/data/tps.geojson?bbox=105,-3,107,-1",
    "/api/v1/incidents", "/lapangan/kejadian/baru",
])
def test_what_a_logged_in_user_gets_is_not_stored(client, session, path):
    log_in_as(client, session, "koordinator")
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Cache-Control"] == "no-store"


def test_api_answers_to_a_token_are_not_stored(client, session):
    _token, secret = create_token(session, Actor.system("test"), scopes="read:incidents,read:health-pii",
                                  agency="Dinkes")
    response = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.headers.get("ETag")  # conditional requests still work for sync clients


@pytest.mark.parametrize("path", ["/static/css/base.css", "/static/js/session.js", "/lapangan/static/field.js"])
def test_static_files_keep_their_caching(client, session, path):
    log_in_as(client, session, "petugas")
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_logout_clears_the_browser_cache(client, session):
    from tests.test_auth import csrf_token

    log_in_as(client, session, "petugas")
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.headers["Clear-Site-Data"] == '"cache"'


@pytest.mark.parametrize("path", ["/login", "/healthz", "/api/v1/tps", "/static/css/base.css"])
def test_every_response_is_nosniff_same_origin_referrer_and_without_cors(client, path):
    headers = client.get(path, headers={"Origin": "https://evil.example"}).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Access-Control-Allow-Origin" not in headers


def test_pages_cannot_be_framed(client):
    headers = client.get("/login").headers
    assert headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_production_session_cookie_is_host_prefixed_secure_httponly_lax(monkeypatch, database_url):
    import re

    from siaga import create_app
    from siaga.extensions import db
    from tests.conftest import DEMO_PASSWORD

    monkeypatch.setenv("SIAGA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-like-secret-of-32-characters-or-more")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert not app.debug
    client = app.test_client()
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/login"}}
    page = client.get("/login", **https).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "koordinator", "password": DEMO_PASSWORD,
                                            "csrf_token": token}, **https)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain=" not in cookie
    assert response.headers["Strict-Transport-Security"] == HSTS
    with app.app_context():
        db.engine.dispose()


def test_map_boundaries_hold_no_personal_data_and_may_be_kept_by_the_browser(client, session):
    log_in_as(client, session, "koordinator")
    response = client.get("/map/data/boundaries/kecamatan.geojson?zoom=12")
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith("private, max-age=")


def test_a_wrong_method_says_which_are_allowed(client):
    """405 carries Allow (RFC 9110), for pages and the API alike."""
    page = client.put("/login")
    assert page.status_code == 405 and {"GET", "POST"} <= set(page.headers["Allow"].replace(" ", "").split(","))
    api = client.delete("/api/v1/tps", headers={"Accept": "application/json"})
    assert api.status_code == 405 and "GET" in api.headers["Allow"] and api.is_json
