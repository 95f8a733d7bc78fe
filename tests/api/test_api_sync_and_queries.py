"""What a partner's sync and queries rely on: deletions reported as tombstones since the cursor, unknown
parameters and formats refused by name, official codes as filters, GeoJSON where positions exist."""
import pytest
from sqlalchemy import select, update

from logistics.drill.runner import wipe_drill
from logistics.models import Delivery, HealthIncident, Kecamatan, Tombstone, Tps
from logistics.services.incidents import report_incident
from tests.api.conftest import assert_error


@pytest.fixture()
def headers(bearer):
    return bearer()


def test_a_sync_learns_of_incidents_a_drill_wipe_deleted(client, headers, session, actor_for):
    petugas = actor_for("petugas")
    incident = report_incident(session, petugas, patient_kind="voter", complaint="pusing", triage="hijau",
                               tps_id=petugas.tps_id)
    session.execute(update(HealthIncident).where(HealthIncident.id == incident.id).values(drill=True))
    session.commit()
    first = client.get("/api/v1/incidents?limit=1000", headers=headers).get_json()
    assert "deleted" not in first  # a full sync: what exists is all there is
    cursor = first["sync_cursor"]
    assert incident.id in [i["id"] for i in first["items"]]

    wipe_drill(session)

    assert session.scalar(select(Tombstone.entity_id).where(Tombstone.entity_type == "health_incident")) == incident.id
    since = client.get(f"/api/v1/incidents?cursor={cursor}", headers=headers).get_json()
    assert [d["id"] for d in since["deleted"]] == [incident.id] and since["deleted"][0]["deleted_at"]
    assert incident.id not in [i["id"] for i in since["items"]]
    geo = client.get(f"/api/v1/incidents?cursor={cursor}&format=geojson", headers=headers).get_json()
    assert [d["id"] for d in geo["deleted"]] == [incident.id]
    # Deletions of another kind are not this list's.
    assert client.get("/api/v1/deliveries?updated_since=2000-01-01T00:00:00Z",
                      headers=headers).get_json()["deleted"] == []


@pytest.mark.parametrize("url, field", [
    ("/api/v1/tps?kode_kemendagri_typo=19.71.02", "kode_kemendagri_typo"),
    ("/api/v1/tps/1?verbose=1", "verbose"),
    ("/api/v1/summary?kecamatan=1", "kecamatan"),
    ("/api/v1/medic-stations?format=geojson", "format"),
    ("/api/v1/tps?format=xml", "format"),
])
def test_unknown_parameters_and_formats_are_400_naming_the_field(client, headers, url, field):
    error = assert_error(client.get(url, headers=headers), 400, "bad_parameter")
    assert list(error["fields"]) == [field]


def test_every_get_operation_refuses_an_unknown_parameter(app, client, headers):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and "GET" in rule.methods:
            url = rule.rule.replace("<int(max=2147483647):", "").replace(">", "")
            url = url.split("{")[0]
            for name in rule.arguments:
                url = url.replace(name, "1")
            error = assert_error(client.get(url + "?bogus=1", headers=headers), 400, "bad_parameter")
            assert "bogus" in error["fields"], rule.rule


def test_filters_by_official_codes(client, headers, session):
    kecamatan = session.scalars(select(Kecamatan).order_by(Kecamatan.id)).first()
    in_it = client.get(f"/api/v1/tps?limit=1000&kode_kemendagri={kecamatan.kode_kemendagri}", headers=headers).get_json()
    assert in_it["items"] and {t["kecamatan_id"] for t in in_it["items"]} == {kecamatan.id}
    everything = client.get("/api/v1/tps?limit=1000", headers=headers).get_json()
    assert in_it["count"] < everything["count"]
    tps = session.scalars(select(Tps).order_by(Tps.id)).first()
    kpu = tps.code.replace(".", "").replace("-", "")
    assert len(kpu) == 13
    for code in (kpu, tps.code):
        found = client.get(f"/api/v1/tps?kode_tps={code}", headers=headers).get_json()["items"]
        assert [t["id"] for t in found] == [tps.id]
    deliveries = client.get(f"/api/v1/deliveries?kode_tps={kpu}&limit=1000", headers=headers).get_json()["items"]
    assert deliveries and {d["tps_id"] for d in deliveries} == {tps.id}
    kecs = client.get(f"/api/v1/kecamatan?kode_kemendagri={kecamatan.kode_kemendagri}", headers=headers).get_json()
    assert [k["id"] for k in kecs["items"]] == [kecamatan.id]


def test_incidents_and_deliveries_as_geojson(client, headers, session, actor_for):
    petugas = actor_for("petugas")
    report_incident(session, petugas, patient_kind="voter", complaint="pusing", triage="hijau", tps_id=petugas.tps_id)
    tps = session.get(Tps, petugas.tps_id)
    response = client.get("/api/v1/incidents?format=geojson&limit=1000", headers=headers)
    assert response.mimetype == "application/geo+json"
    feature = response.get_json()["features"][-1]
    assert feature["geometry"]["coordinates"] == [feature["properties"]["effective_lon"],
                                                  feature["properties"]["effective_lat"]]
    response = client.get(f"/api/v1/deliveries?format=geojson&tps_id={tps.id}", headers=headers)
    assert response.mimetype == "application/geo+json"
    features = response.get_json()["features"]
    assert features and all(f["geometry"]["coordinates"] == [tps.lon, tps.lat] for f in features)
    assert session.scalar(select(Delivery.tps_id).where(Delivery.id == features[0]["id"])) == tps.id


def test_messages_follow_accept_language(client, headers):
    english = client.get("/api/v1/tps?bogus=1", headers={**headers, "Accept-Language": "en-GB,en;q=0.8"})
    indonesian = client.get("/api/v1/tps?bogus=1", headers={**headers, "Accept-Language": "id"})
    assert english.headers["Content-Language"] == "en" and "Accept-Language" in english.headers["Vary"]
    assert english.get_json()["error"]["message"] != indonesian.get_json()["error"]["message"]
    assert english.get_json()["error"]["message"].startswith("Unknown parameter")
    # ?lang= still wins.
    assert client.get("/api/v1/tps?bogus=1&lang=id", headers={**headers, "Accept-Language": "en"}
                      ).headers["Content-Language"] == "id"


def test_a_reported_incident_is_201_with_its_location(client, bearer, actor_for):
    petugas = actor_for("petugas")
    headers = bearer(["write:incidents", "read:incidents"], user="petugas")
    body = {"patient_kind": "voter", "complaint": "pusing", "triage": "hijau", "tps_id": petugas.tps_id}
    response = client.post("/api/v1/incidents", json=body, headers={**headers, "Idempotency-Key": "loc-test-1"})
    assert response.status_code == 201
    assert response.headers["Location"] == f"/api/v1/incidents/{response.get_json()['id']}"
    assert client.get(response.headers["Location"], headers=headers).get_json()["id"] == response.get_json()["id"]
    replay = client.post("/api/v1/incidents", json=body, headers={**headers, "Idempotency-Key": "loc-test-1"})
    assert replay.headers["Location"] == response.headers["Location"]


def test_large_answers_are_gzipped_and_stay_conditional(client, headers):
    import gzip

    plain = client.get("/api/v1/tps?limit=1000", headers=headers)
    zipped = client.get("/api/v1/tps?limit=1000", headers={**headers, "Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers and zipped.headers["Content-Encoding"] == "gzip"
    assert len(zipped.data) * 4 < len(plain.data)
    assert gzip.decompress(zipped.data) == plain.data
    again = client.get("/api/v1/tps?limit=1000",
                       headers={**headers, "Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/api/v1/tps?limit=1000",
                      headers={**headers, "If-None-Match": plain.headers["ETag"]}).status_code == 304
    small = client.get("/api/v1/tps?limit=1", headers={**headers, "Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers
