"""The live map's GeoJSON endpoints: viewport filter, aggregation, scope, ETags, coverage."""
import pytest
from sqlalchemy import func, select

from logistics.models import Kecamatan, Kelurahan, MedicStation, Tps, TpsStatus
from logistics.rules.geo import nearest
from logistics.services.incidents import report_incident
from logistics.services.tps_status import advance_tps_status
from tests.test_auth import login

CITY = "105.9,-2.4,106.4,-1.9"


@pytest.fixture()
def coordinator(client):
    login(client, "koordinator")
    return client


def tps_url(bbox=CITY, zoom=14, color="status"):
    return f"/map/data/tps.geojson?bbox={bbox}&zoom={zoom}&color={color}"


def test_requires_a_coordinator_and_a_valid_bbox(client):
    assert client.get(tps_url(), headers={"Accept": "application/json"}).status_code == 401
    login(client, "petugas")
    assert client.get(tps_url()).status_code == 403
    client.post("/logout")
    login(client, "koordinator")
    for bad in ("", "1,2,3", "a,b,c,d", "10,10,5,5", "nan,1,2,3", "0,-95,1,1"):
        response = client.get(f"/map/data/tps.geojson?bbox={bad}", headers={"Accept": "application/json"})
        assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_failed"
        assert "bbox" in response.get_json()["error"]["fields"]


def test_detail_features_follow_the_bbox(coordinator, session):
    features = coordinator.get(tps_url()).get_json()["features"]
    assert len(features) == session.scalar(select(func.count(Tps.id)))
    one = session.scalars(select(Tps).order_by(Tps.id)).first()
    box = f"{one.lon - 0.0005},{one.lat - 0.0005},{one.lon + 0.0005},{one.lat + 0.0005}"
    near = coordinator.get(tps_url(box, 17)).get_json()["features"]
    assert one.id in [f["properties"]["id"] for f in near] and len(near) < len(features)
    props = next(f["properties"] for f in near if f["properties"]["id"] == one.id)
    assert props["status"] == one.status.value and props["url"] == f"/tps/{one.id}"
    assert props["station"] and props["station_km"] >= 0


def test_zoomed_out_points_are_aggregated_and_add_up(coordinator, session):
    body = coordinator.get(tps_url(zoom=8)).get_json()
    assert body["aggregate"] is True
    assert all(f["properties"]["aggregate"] for f in body["features"])
    assert sum(f["properties"]["count"] for f in body["features"]) == session.scalar(select(func.count(Tps.id)))


def test_kecamatan_coordinator_sees_only_its_kecamatan(client, session):
    login(client, "camat-gerunggang")
    ids = {f["properties"]["id"] for f in client.get(tps_url()).get_json()["features"]}
    expected = set(session.scalars(select(Tps.id).join(Kelurahan).join(Kecamatan).where(Kecamatan.nama == "Gerunggang")))
    assert ids == expected and ids


def test_etag_gives_304_until_a_post_changes_the_data(coordinator, session, actor_for):
    first = coordinator.get(tps_url())
    tag = first.headers["ETag"]
    assert coordinator.get(tps_url(), headers={"If-None-Match": tag}).status_code == 304
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    changed = coordinator.get(tps_url(), headers={"If-None-Match": tag})
    assert changed.status_code == 200
    status = {f["properties"]["id"]: f["properties"]["status"] for f in changed.get_json()["features"]}
    assert status[petugas.tps_id] == "open"


def test_meal_colouring_gives_each_tps_a_state(coordinator):
    features = coordinator.get(tps_url(color="meals")).get_json()["features"]
    # The demo's election day is past: every undelivered round is late.
    assert {f["properties"]["meal"] for f in features} == {"late"}


def test_incidents_carry_user_text_as_plain_data(coordinator, session, actor_for):
    petugas = actor_for("petugas")
    incident = report_incident(session, petugas, patient_kind="officer", complaint="pingsan", triage="kuning",
                               tps_id=petugas.tps_id, patient_name="<img src=x onerror=alert(1)>",
                               notes="<script>window.__xss=1</script>")
    features = coordinator.get("/map/data/incidents.geojson?bbox=" + CITY).get_json()["features"]
    mine = next(f["properties"] for f in features if f["properties"]["id"] == incident.id)
    assert mine["notes"] == "<script>window.__xss=1</script>" and mine["triage"] == "kuning"
    assert mine["url"] == f"/lapangan/kejadian/{incident.id}"


def test_stations_and_facilities(coordinator, session):
    stations = coordinator.get("/map/data/stations.geojson").get_json()["features"]
    assert len(stations) == session.scalar(select(func.count(MedicStation.id)))
    assert sum(s["properties"]["tps"] for s in stations) == session.scalar(select(func.count(Tps.id)))
    assert coordinator.get("/map/data/facilities.geojson").get_json()["features"]


def test_tps_popups_name_the_nearest_station(coordinator, session):
    stations = [(s.id, s.lat, s.lon) for s in session.scalars(select(MedicStation))]
    names = dict(session.execute(select(MedicStation.id, MedicStation.name)).all())
    features = coordinator.get(tps_url(zoom=16)).get_json()["features"]
    assert features
    for feature in features[:40]:
        tps = session.get(Tps, feature["properties"]["id"])
        expected_id, expected_m = nearest(tps.lat, tps.lon, stations)
        assert feature["properties"]["station"] == names[expected_id]
        assert feature["properties"]["station_km"] == round(expected_m / 1000, 2)
