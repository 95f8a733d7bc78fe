"""The pages each field role's service worker copies at login (`/lapangan/offline.json`, field/offline.py):
every page the role opens from its landing page, each of which the login may open, and nothing more."""
import re

import pytest

from logistics.services.incidents import report_incident
from tests.field_client import log_in_as


def manifest(client) -> list[str]:
    response = client.get("/lapangan/offline.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return response.get_json()["pages"]


def links(client, url: str) -> set[str]:
    """The field pages a page links to (what an officer can tap)."""
    html = client.get(url, follow_redirects=True).get_data(as_text=True)
    return {href.replace("&amp;", "&") for href in re.findall(r'href="(/lapangan/[^"]*)"', html)
            if "/static/" not in href}


@pytest.mark.parametrize("username", ["petugas", "kurir", "medis"])
def test_every_listed_page_opens_for_the_login_and_every_link_of_the_landing_page_is_listed(
        client, session, actor_for, username):
    user = log_in_as(client, session, username)
    if username != "kurir":  # an incident of the day, so its page is listed too
        report_incident(session, actor_for("petugas"), patient_kind="voter", complaint="pingsan", triage="merah",
                        tps_id=actor_for("petugas").tps_id)
    pages = manifest(client)
    assert "/lapangan/kejadian/baru" in pages
    for url in pages:
        assert client.get(url, follow_redirects=True).status_code == 200, url
    landing = client.get("/lapangan/", follow_redirects=True).request.path
    assert landing in pages
    assert links(client, landing) <= set(pages), links(client, landing) - set(pages)
    if username == "petugas":
        assert f"/lapangan/tps/{user.tps_id}/kiriman" in pages
        assert any(url.startswith("/lapangan/kejadian/") and url[-1].isdigit() for url in pages)
    if username == "medis":  # the officer's incident went to the medic's station: its page is listed
        assert any(url.startswith("/lapangan/kejadian/") and url[-1].isdigit() for url in pages)


def test_the_landing_page_asks_for_the_copy_and_other_pages_do_not(client, session):
    user = log_in_as(client, session, "petugas")
    assert 'data-manifest="/lapangan/offline.json"' in client.get(f"/lapangan/tps/{user.tps_id}").get_data(as_text=True)
    assert 'data-manifest=""' in client.get("/lapangan/kejadian/baru").get_data(as_text=True)
