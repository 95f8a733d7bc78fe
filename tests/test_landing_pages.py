"""Admins and partners have no page of their own: `/` gives them the links their role needs."""
import re

from tests.test_auth import login


def links(html: str) -> set[str]:
    menu = html[html.index('class="home-links"'):html.index("</nav>", html.index('class="home-links"'))]
    return set(re.findall(r'href="([^"]+)"', menu))


def test_admin_lands_on_a_menu_of_every_page_it_runs(client, session):
    assert login(client, "admin").headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert {"/dashboard", "/map", "/admin/pengguna", "/rencana/konsumsi", "/rencana/jaga", "/rencana/logistik",
            "/api/docs"} <= links(html)
    for href in links(html):
        assert client.get(href).status_code == 200, href
    assert "token-help" not in html


def test_partner_lands_on_the_api_docs_and_how_to_get_a_token(client, session):
    login(client, "mitra")
    html = client.get("/").get_data(as_text=True)
    assert {"/api/docs", "/api/openapi.json", "/api/v1/tps?format=geojson", "/api/v1/incidents"} <= links(html)
    assert "/dashboard" not in links(html) and "/admin/pengguna" not in links(html)
    assert 'id="token-help"' in html and "create-token --agency Dinkes" in html
    assert "Authorization: Bearer" in html
    assert client.get("/api/docs").status_code == 200 and client.get("/api/openapi.json").status_code == 200
    # The data links read with the agency's token scopes: 200 once the admin made one, a reasoned 403 before.
    response = client.get("/api/v1/incidents")
    assert response.status_code == 403 and "read:incidents" in response.get_json()["error"]["message"]


def test_visitors_and_field_staff_get_no_menu(client, session):
    assert "home-links" not in client.get("/").get_data(as_text=True)
    login(client, "medis")
    assert client.get("/").status_code == 302
