"""Every `next` goes through siaga.redirects: same-site absolute paths only, anything else the default
page, and never a 500 (a CR or LF used to reach the Location header)."""
import pytest
from sqlalchemy import select

from logistics.models import Delivery, Tps
from siaga.redirects import is_safe_path, same_site_path
from tests.conftest import DEMO_PASSWORD
from tests.field_client import log_in_as, post_form
from tests.test_auth import csrf_token

# Known open-redirect bypasses (as they arrive after URL decoding).
BYPASSES = [
    "//evil.example", "///evil.example", "////evil.example/x", "/\t/evil.example", "/\t\t/evil.example",
    "\t//evil.example", "/\n/evil.example", "/\r/evil.example", "/\r\n/evil.example", "/x\r\nSet-Cookie: a=b",
    "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\\/evil.example", "https://evil.example",
    "http://evil.example/", "https:evil.example", "http:/evil.example", "javascript:alert(1)",
    "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", "evil.example", " //evil.example",
    " /x", "\x00//evil.example", "/\x00/evil.example", "/\x0b/evil.example", "/\x7f/evil.example",
    "/\u200b/evil.example", "/\u2028/evil.example", "/\u202e/evil.example", "%2F%2Fevil.example",
    "%2f%09%2fevil.example", "\u3000//evil.example", "", "?next=//evil.example", "#//evil.example",
]
SAFE = ["/", "/dashboard", "/dashboard?kecamatan=1", "/lapangan/tps/1", "/map?layer=tps#x",
        "/lapangan/kiriman/1?a=%2F%2Fevil"]


@pytest.mark.parametrize("target", BYPASSES)
def test_bypasses_are_not_safe(target):
    assert not is_safe_path(target)


@pytest.mark.parametrize("target", SAFE)
def test_same_site_paths_are_safe(target):
    assert is_safe_path(target)


def test_within_narrows_to_a_prefix():
    assert is_safe_path("/lapangan/tps/1", within="/lapangan/")
    assert not is_safe_path("/dashboard", within="/lapangan/")
    assert not is_safe_path("/lapangan/\r\nx", within="/lapangan/")


def assert_same_site(response, default):
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == default, location


@pytest.mark.parametrize("target", BYPASSES + ["/%09/evil.example"])
def test_language_switch_never_leaves_the_site(client, target):
    response = client.get("/bahasa/en", query_string={"next": target})
    expected = target if target == "/%09/evil.example" else "/"  # that one stays a literal, harmless path
    assert_same_site(response, expected)


def test_language_switch_raw_query_from_the_report(client):
    assert_same_site(client.get("/bahasa/en?next=%2F%09%2Fevil.example"), "/")
    assert_same_site(client.get("/bahasa/en?next=%2F%0D%0AX-Evil:%201"), "/")


def test_language_switch_returns_to_a_same_site_referrer_only(client):
    assert_same_site(client.get("/bahasa/en", headers={"Referer": "http://localhost/dashboard?kecamatan=2"}),
                     "/dashboard?kecamatan=2")
    assert_same_site(client.get("/bahasa/en", headers={"Referer": "http://evil.example/dashboard"}), "/")
    assert_same_site(client.get("/bahasa/en", headers={"Referer": "http://localhost//evil.example"}), "/")


@pytest.mark.parametrize("target", BYPASSES)
def test_login_next_never_leaves_the_site(client, target):
    response = client.post("/login", query_string={"next": target}, data={
        "username": "koordinator", "password": DEMO_PASSWORD, "csrf_token": csrf_token(client)})
    assert_same_site(response, "/dashboard")


def test_login_next_keeps_a_same_site_page(client):
    response = client.post("/login?next=%2Fmap%3Flayer%3Dtps", data={
        "username": "koordinator", "password": DEMO_PASSWORD, "csrf_token": csrf_token(client)})
    assert_same_site(response, "/map?layer=tps")


@pytest.mark.parametrize("target", ["//evil.example", "/\t/evil.example", "/lapangan/\r\nx", "/dashboard",
                                    "https://evil.example/lapangan/"])
def test_field_forms_next_stays_on_field_pages(client, session, target):
    user = log_in_as(client, session, "kurir")
    stop = session.scalars(select(Delivery).join(Tps).where(Delivery.courier_id == user.person_id)
                           .order_by(Delivery.planned_at, Tps.code)).first()
    response = post_form(client, f"/lapangan/kiriman/{stop.id}", {"action": "dispatched", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/lapangan/rute"


def test_same_site_path_of_a_referrer():
    assert same_site_path("https://siaga.example/map?x=1", "siaga.example") == "/map?x=1"
    assert same_site_path("https://evil.example/map", "siaga.example") is None
    assert same_site_path("javascript://siaga.example/%0aalert(1)", "siaga.example") is None
    assert same_site_path("http://[::1", "siaga.example") is None
