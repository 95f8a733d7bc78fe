"""A deployment of several areas: the demo's Kota Pangkalpinang (19.71, Kepulauan Bangka Belitung, WIB) with
Kabupaten Bangka (19.01, the same province) and Kota Mataram (52.71, Nusa Tenggara Barat, WITA) beside it.
Coordinators and admins of the nation, a province, a kab/kota and a kecamatan each see exactly their area
on home, map (its bounds, clock and layer JSON), dashboard and API; a read outside it is refused."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from logistics.actor import Actor
from logistics.errors import PermissionDenied
from logistics.models import Kecamatan, Kota, Role, Tps, User
from logistics.permissions import Permission, Target, may
from logistics.permissions.read_scope import kecamatan_ids, visible
from logistics.queries.audience import _coordinators_of
from logistics.services import accounts
from logistics.services.incidents import report_incident
from siaga.auth import new_session_values
from tests import factories as f
from tests.field_client import post_form


@dataclass
class Areas:
    pangkalpinang: Kota
    bangka: Kota
    mataram: Kota
    tps: dict[str, Tps]  # one TPS in Bangka and one in Mataram (the demo city has its own)
    users: dict[str, User]


def _kota(session, code: str, name: str, province: str, lon: float, lat: float) -> tuple[Kota, Tps]:
    kota = f.make_kota(session, kode_kemendagri=code, nama=name, provinsi=province, **f._area(lon, lat))
    kecamatan = f.make_kecamatan(session, kota, kode_kemendagri=f"{code}.01", **f._area(lon, lat))
    kelurahan = f.make_kelurahan(session, kecamatan, kode_kemendagri=f"{code}.01.1001", **f._area(lon, lat))
    return kota, f.make_tps(session, kelurahan, lat=lat, lon=lon)


@pytest.fixture()
def areas(session) -> Areas:
    from logistics.services.unit_of_work import UnitOfWork

    with UnitOfWork(session) as uow:  # set-up writes as every writer does (the tests' session is strict)
        made = _build(session)
        uow.commit()
    return made


def _build(session) -> Areas:
    pangkalpinang = session.scalar(select(Kota).where(Kota.kode_kemendagri == "19.71"))
    bangka, tps_bangka = _kota(session, "19.01", "Kabupaten Bangka", "Kepulauan Bangka Belitung", 106.1, -1.9)
    mataram, tps_mataram = _kota(session, "52.71", "Kota Mataram", "Nusa Tenggara Barat", 116.1, -8.58)
    gerunggang = session.scalar(select(Kecamatan).where(Kecamatan.nama == "Gerunggang"))
    users = {
        "nation": f.make_user(session, Role.COORDINATOR),
        "babel": f.make_user(session, Role.COORDINATOR, provinsi_kode="19"),
        "mataram": f.make_user(session, Role.COORDINATOR, kota_id=mataram.id),
        "gerunggang": f.make_user(session, Role.COORDINATOR, kecamatan_id=gerunggang.id),
        "admin_ntb": f.make_user(session, Role.ADMIN, provinsi_kode="52"),
        "admin_mataram": f.make_user(session, Role.ADMIN, kota_id=mataram.id),
        "officer_mataram": f.make_user(session, Role.FIELD_OFFICER, tps_id=tps_mataram.id),
        "officer_pangkalpinang": session.scalar(select(User).where(User.username == "petugas")),
    }
    report_incident(session, Actor.system("test"), patient_kind="officer", complaint="pusing", triage="kuning",
                    tps_id=tps_mataram.id)
    return Areas(pangkalpinang, bangka, mataram, {"bangka": tps_bangka, "mataram": tps_mataram}, users)


def _log_in(client, user: User):
    with client.session_transaction() as browser:
        browser.update(new_session_values(user))
    return client


def _tps_kota(session, tps_ids) -> set[str]:
    """The kab/kota codes of these TPS."""
    from logistics.models import Kelurahan

    return set(session.scalars(select(Kota.kode_kemendagri).distinct()
                               .join(Kecamatan, Kecamatan.kota_id == Kota.id)
                               .join(Kelurahan, Kelurahan.kecamatan_id == Kecamatan.id)
                               .join(Tps, Tps.kelurahan_id == Kelurahan.id).where(Tps.id.in_(list(tps_ids)))))


# --- the read filters and permissions, without the web ---

def test_each_level_reads_exactly_its_area(session, areas):
    expected = {"nation": {"19.71", "19.01", "52.71"}, "babel": {"19.71", "19.01"}, "mataram": {"52.71"},
                "gerunggang": {"19.71"}, "admin_ntb": {"52.71"}, "admin_mataram": {"52.71"}}
    for name, kota in expected.items():
        actor = Actor.from_user(areas.users[name])
        seen = session.scalars(select(Tps.id).where(visible(session, actor, Tps))).all()
        assert _tps_kota(session, seen) == kota, name
        ids = kecamatan_ids(actor)
        assert (ids is None) == (name == "nation"), name
    gerunggang = Actor.from_user(areas.users["gerunggang"])
    assert kecamatan_ids(gerunggang) == [areas.users["gerunggang"].kecamatan_id]


def test_permissions_follow_the_area(session, areas):
    babel = Actor.from_user(areas.users["babel"])
    mataram = Actor.from_user(areas.users["mataram"])
    on_bangka = Target.of_tps(areas.tps["bangka"])
    on_mataram = Target.of_tps(areas.tps["mataram"])
    assert may(babel, Permission.TPS_POST_STATUS, on_bangka) and not may(babel, Permission.TPS_POST_STATUS, on_mataram)
    assert may(mataram, Permission.MEAL_PLAN, on_mataram) and not may(mataram, Permission.MEAL_PLAN, on_bangka)
    admin_ntb = Actor.from_user(areas.users["admin_ntb"])
    assert may(admin_ntb, Permission.INCIDENT_CARE, on_mataram) and not may(admin_ntb, Permission.INCIDENT_CARE, on_bangka)
    assert not may(admin_ntb, Permission.AREA_SETUP) and not may(admin_ntb, Permission.TOKEN_ADMIN)
    # An area made by hand (not resolved from the database) is refused, never widened.
    assert not may(Actor(role=Role.COORDINATOR, label="x", kota_id=areas.mataram.id), Permission.MEAL_PLAN, on_mataram)


def test_an_area_admin_manages_accounts_within_its_area_only(session, areas):
    admin_ntb = Actor.from_user(areas.users["admin_ntb"])
    seen = set(session.scalars(select(User.id).where(visible(session, admin_ntb, User))))
    assert {areas.users["mataram"].id, areas.users["admin_mataram"].id, areas.users["officer_mataram"].id,
            areas.users["admin_ntb"].id} <= seen
    assert not seen & {areas.users[n].id for n in ("nation", "babel", "gerunggang", "officer_pangkalpinang")}
    # It gives scopes within its province only.
    mataram_coord = areas.users["mataram"]
    accounts.update_account(session, admin_ntb, mataram_coord.id, full_name="Koordinator Mataram",
                            role=Role.COORDINATOR, provinsi_kode="52")
    assert mataram_coord.provinsi_kode == "52" and mataram_coord.kota_id is None
    with pytest.raises(PermissionDenied):
        accounts.update_account(session, admin_ntb, mataram_coord.id, full_name="x", role=Role.COORDINATOR,
                                provinsi_kode="19")
    with pytest.raises(PermissionDenied):  # the nation is no area of a province's admin
        accounts.update_account(session, admin_ntb, mataram_coord.id, full_name="x", role=Role.COORDINATOR)
    with pytest.raises(PermissionDenied):  # an account outside its area
        accounts.deactivate_user(session, admin_ntb, areas.users["babel"].id)
    # A kab/kota's admin may not widen an account to the province above it.
    with pytest.raises(PermissionDenied):
        accounts.update_account(session, Actor.from_user(areas.users["admin_mataram"]),
                                areas.users["officer_mataram"].id, full_name="x", role=Role.COORDINATOR,
                                provinsi_kode="52")


def test_one_area_per_account_and_known_provinces(session, areas):
    from logistics.errors import ValidationFailed

    admin = Actor.system("test")
    with pytest.raises(ValidationFailed) as two:
        accounts.update_account(session, admin, areas.users["babel"].id, full_name="x", role=Role.COORDINATOR,
                                provinsi_kode="19", kota_id=areas.bangka.id)
    assert set(two.value.fields) == {"provinsi_kode", "kota_id"}
    with pytest.raises(ValidationFailed) as unknown:
        accounts.update_account(session, admin, areas.users["babel"].id, full_name="x", role=Role.COORDINATOR,
                                provinsi_kode="99")
    assert "provinsi_kode" in unknown.value.fields


def test_alerts_reach_the_coordinators_whose_area_holds_the_kecamatan(session, areas):
    kecamatan_id = areas.tps["mataram"].kelurahan.kecamatan_id
    hearers = set(session.scalars(select(User.id).where(_coordinators_of(kecamatan_id))))
    assert {areas.users["nation"].id, areas.users["mataram"].id} <= hearers
    assert not hearers & {areas.users["babel"].id, areas.users["gerunggang"].id}


# --- the pages ---

def test_home_shows_an_area_admins_area(client, session, areas):
    html = _log_in(client, areas.users["admin_ntb"]).get("/").get_data(as_text=True)
    assert "Nusa Tenggara Barat" in html and "Pangkal" not in html
    figures = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', html))
    assert figures["TPS"] == "1" and figures["Kota/Kabupaten"] == "1"


def test_home_of_the_nation_counts_every_area(client, session, areas):
    html = client.get("/").get_data(as_text=True)  # a visitor: the whole deployment, no "first kota"
    figures = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', html))
    assert figures["Kota/Kabupaten"] == "3"
    assert int(figures["TPS"].replace(".", "")) == session.scalar(select(func.count()).select_from(Tps))


def _map_config(client) -> dict:
    html = client.get("/map").get_data(as_text=True)
    return json.loads(re.search(r'<script type="application/json" id="map-config">(.*?)</script>', html, re.S).group(1))


def test_the_map_opens_on_the_area_in_its_clock(client, session, areas):
    config = _map_config(_log_in(client, areas.users["mataram"]))
    (south, west), (north, east) = config["bounds"]
    assert south <= -8.58 <= north and west <= 116.1 <= east and east - west < 1  # Mataram only
    assert config["zone"] == {"name": "Asia/Makassar", "abbr": "WITA"}
    config = _map_config(_log_in(client, areas.users["babel"]))
    (south, west), (north, east) = config["bounds"]
    assert west <= 106.1 <= east and south <= -2.1 <= north and east < 110  # Bangka and Pangkalpinang, not Mataram
    assert config["zone"]["abbr"] == "WIB"


BOX = "95,-11,141,6"  # the whole country


def _layer_tps(client) -> set[int]:
    body = client.get(f"/map/data/tps.geojson?bbox={BOX}&zoom=10").get_json()
    assert body["aggregate"] is False
    return {feature["properties"]["id"] for feature in body["features"]}


def test_map_layers_hold_the_area_only(client, session, areas):
    assert _tps_kota(session, _layer_tps(_log_in(client, areas.users["mataram"]))) == {"52.71"}
    assert _tps_kota(session, _layer_tps(_log_in(client, areas.users["babel"]))) == {"19.71", "19.01"}
    incidents = client.get(f"/map/data/incidents.geojson?bbox={BOX}").get_json()["features"]
    assert not any(i["properties"]["tps"].startswith(f"TPS {areas.tps['mataram'].number:03d}") for i in incidents)
    mataram_incidents = _log_in(client, areas.users["mataram"]).get(f"/map/data/incidents.geojson?bbox={BOX}").get_json()
    assert len(mataram_incidents["features"]) == 1


def test_a_province_coordinator_sees_each_of_its_kab_kota(client, session, areas):
    html = _log_in(client, areas.users["babel"]).get("/dashboard").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-kota="(\d+)"><th scope="row"><a [^>]*>([^<]+)</a>', html))
    assert rows == {str(areas.pangkalpinang.id): areas.pangkalpinang.nama, str(areas.bangka.id): "Kabupaten Bangka"}
    assert "Kepulauan Bangka Belitung" in html and 'id="scope-zone">WIB<' in html
    gaps = re.search(r'<table class="dash-table figure-cards" id="area-readiness">(.*?)</table>', html, re.S).group(1)
    bangka = re.search(rf'<tr data-kota="{areas.bangka.id}">(.*?)</tr>', gaps, re.S).group(1)
    cells = dict(re.findall(r'data-col="([^"]+)"[^>]*>(\d+)<', bangka))
    assert "Kabupaten Bangka" in bangka and cells == {"kecamatan_without_station": "1", "kecamatan_without_vendor": "1",
                                                      "kelurahan_without_tps": "0", "tps_approximate": "0"}
    assert f'data-kota="{areas.mataram.id}"' not in gaps and f'data-kota="{areas.pangkalpinang.id}"' in gaps
    assert client.get(f"/dashboard?kota={areas.bangka.id}").status_code == 200
    assert client.get(f"/dashboard?kota={areas.mataram.id}").status_code == 403
    assert client.get("/dashboard?kota=999999").status_code == 404


def test_a_kota_coordinator_in_wita_sees_its_kota_in_its_clock(client, session, areas):
    html = _log_in(client, areas.users["mataram"]).get("/dashboard").get_data(as_text=True)
    assert 'id="scope-zone">WITA<' in html and "Kota Mataram" in html
    assert "Gerunggang" not in html and "data-kota=" not in html  # one kota: its kecamatan
    other = session.scalar(select(Kecamatan.id).where(Kecamatan.nama == "Gerunggang"))
    assert client.get(f"/dashboard?kecamatan={other}").status_code == 403


def test_the_api_answers_within_the_area(client, session, areas):
    _log_in(client, areas.users["mataram"])
    body = client.get("/api/v1/tps?limit=500").get_json()
    assert [i["id"] for i in body["items"]] == [areas.tps["mataram"].id], body
    assert client.get(f"/api/v1/tps/{areas.tps['bangka'].id}").status_code == 403
    summary = client.get("/api/v1/summary").get_json()
    assert {row["kecamatan_id"] for row in summary["kecamatan"]} == {areas.tps["mataram"].kelurahan.kecamatan_id}
    _log_in(client, areas.users["babel"])
    assert client.get(f"/api/v1/tps/{areas.tps['mataram'].id}").status_code == 403
    assert client.get(f"/api/v1/tps/{areas.tps['bangka'].id}").status_code == 200


def test_a_tps_page_outside_the_area_is_refused(client, session, areas):
    _log_in(client, areas.users["mataram"])
    assert client.get(f"/tps/{areas.tps['mataram'].id}").status_code == 200
    assert client.get(f"/tps/{areas.tps['bangka'].id}").status_code == 403


def test_the_accounts_page_gives_scopes_within_the_admins_area(client, session, areas):
    _log_in(client, areas.users["admin_ntb"])
    html = client.get("/admin/pengguna/baru").get_data(as_text=True)
    select_of = lambda name: re.search(rf'<select id="{name}".*?</select>', html, re.S).group(0)  # noqa: E731
    assert re.findall(r'<option value="([^"]+)"', select_of("provinsi_kode")) == ["52"]
    assert re.findall(r'<option value="([^"]+)"', select_of("kota_id")) == [str(areas.mataram.id)]
    listed = client.get("/admin/pengguna").get_data(as_text=True)
    assert areas.users["mataram"].username in listed and areas.users["babel"].username not in listed
    response = post_form(client, "/admin/pengguna/baru", {"username": "koord-bangka", "full_name": "x",
                                                           "role": "coordinator", "kota_id": str(areas.bangka.id)})
    assert response.status_code == 403
    response = post_form(client, "/admin/pengguna/baru", {"username": "koord-ntb", "full_name": "x",
                                                           "role": "coordinator", "provinsi_kode": "52"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert session.scalar(select(User.provinsi_kode).where(User.username == "koord-ntb")) == "52"
    assert client.get(f"/admin/pengguna/{areas.users['babel'].id}").status_code == 403


def test_flask_set_scope_gives_an_area_by_its_code(app, session, areas):
    runner = app.test_cli_runner()
    user = areas.users["nation"]
    assert runner.invoke(args=["set-scope", user.username, "--area", "52.71"]).exit_code == 0
    assert (user.kota_id, user.provinsi_kode, user.kecamatan_id) == (areas.mataram.id, None, None)
    assert runner.invoke(args=["set-scope", user.username, "--area", "19"]).exit_code == 0
    assert (user.kota_id, user.provinsi_kode) == (None, "19")
    refused = runner.invoke(args=["set-scope", user.username, "--area", "33.01"])  # not stored here
    assert refused.exit_code != 0 and "33.01" in refused.output
    assert runner.invoke(args=["set-scope", user.username]).exit_code == 0
    assert (user.kota_id, user.provinsi_kode, user.kecamatan_id) == (None, None, None)


def test_an_area_admin_cannot_open_what_concerns_the_whole_deployment(client, session, areas):
    _log_in(client, areas.users["admin_ntb"])
    for path in ("/admin/wilayah", "/admin/mitra", "/admin/sms", "/admin/pengaturan"):
        assert client.get(path).status_code == 403, path
    assert client.get("/admin/pengguna").status_code == 200
    _log_in(client, session.scalar(select(User).where(User.username == "admin")))
    for path in ("/admin/wilayah", "/admin/mitra", "/admin/sms", "/admin/pengaturan"):
        assert client.get(path).status_code == 200, path
