"""Each read endpoint: shape, filters, GeoJSON, pagination, updated_since, ETag."""
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from logistics.models import HealthIncident, Kecamatan, Kelurahan, Tps, TpsStatus
from logistics.queries.summary import kecamatan_summary
from logistics.services.incidents import report_incident
from logistics.services.tps_status import advance_tps_status
from logistics.timeutil import local_at
from tests.api.conftest import assert_error


@pytest.fixture()
def headers(bearer):
    return bearer()


def test_kecamatan_and_kelurahan_lists(client, headers, session):
    kecamatan = client.get("/api/v1/kecamatan", headers=headers).get_json()
    assert kecamatan["count"] == 7 and {"id", "nama", "kode_kemendagri", "bbox"} <= set(kecamatan["items"][0])
    first = kecamatan["items"][0]["id"]
    assert client.get(f"/api/v1/kecamatan/{first}", headers=headers).get_json()["id"] == first
    kelurahan = client.get(f"/api/v1/kelurahan?kecamatan_id={first}&limit=1000", headers=headers).get_json()
    expected = session.scalar(select(func.count(Kelurahan.id)).where(Kelurahan.kecamatan_id == first))
    assert kelurahan["count"] == expected and all(k["kecamatan_id"] == first for k in kelurahan["items"])


def test_kelurahan_as_geojson_carries_boundaries(client, headers):
    response = client.get("/api/v1/kelurahan?format=geojson&limit=3", headers=headers)
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 3
    assert body["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_tps_filters(client, headers, session, actor_for):
    kec = session.scalar(select(Kecamatan).where(Kecamatan.nama == "Gerunggang"))
    body = client.get(f"/api/v1/tps?kecamatan_id={kec.id}&limit=1000", headers=headers).get_json()
    expected = session.scalar(select(func.count(Tps.id)).join(Kelurahan).where(Kelurahan.kecamatan_id == kec.id))
    assert body["count"] == expected and {t["kecamatan_id"] for t in body["items"]} == {kec.id}

    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    opened = client.get("/api/v1/tps?status=open", headers=headers).get_json()
    assert [t["id"] for t in opened["items"]] == [petugas.tps_id]

    tps = session.get(Tps, petugas.tps_id)
    box = f"{tps.lon - 0.0001},{tps.lat - 0.0001},{tps.lon + 0.0001},{tps.lat + 0.0001}"
    boxed = client.get(f"/api/v1/tps?bbox={box}", headers=headers).get_json()
    assert tps.id in [t["id"] for t in boxed["items"]] and boxed["count"] < 5


def test_tps_as_geojson_points(client, headers):
    response = client.get("/api/v1/tps?format=geojson&limit=5", headers=headers)
    assert response.mimetype == "application/geo+json"
    feature = response.get_json()["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["geometry"]["coordinates"] == [feature["properties"]["lon"], feature["properties"]["lat"]]


@pytest.mark.parametrize("query", ["bbox=1,2,3", "bbox=a,b,c,d", "bbox=10,10,5,5", "status=closed",
                                   "limit=0", "limit=5000", "cursor=!!!", "cursor=WyJ4Il0",
                                   "updated_since=yesterday", "updated_since=2025-08-27T07:00:00",
                                   "updated_since=0001-01-01T00:00:00%2B14:00", "kecamatan_id=-1", "kode_tps=123",
                                   "kode_kemendagri=19.7"])
def test_bad_list_parameters_are_422(client, headers, query):
    error = assert_error(client.get(f"/api/v1/tps?{query}", headers=headers), 422)
    assert error["fields"]


def test_pages_follow_link_headers_without_gaps_or_repeats(client, headers, session):
    url, seen = "/api/v1/tps?limit=100", []
    while url:
        response = client.get(url, headers=headers)
        seen += [t["id"] for t in response.get_json()["items"]]
        link = response.headers.get("Link")
        url = link[link.index("<") + 1:link.index(">")].replace("http://localhost", "") if link else None
    assert len(seen) == len(set(seen)) == session.scalar(select(func.count(Tps.id)))


def test_updated_since_and_sync_cursor_return_only_changes(client, headers, session, actor_for):
    first = client.get("/api/v1/incidents?limit=1000", headers=headers).get_json()
    cursor = first["sync_cursor"]
    petugas = actor_for("petugas")
    incident = report_incident(session, petugas, patient_kind="officer", complaint="pusing", triage="hijau",
                               tps_id=petugas.tps_id)
    since = client.get(f"/api/v1/incidents?updated_since={incident.updated_at.isoformat().replace('+', '%2B')}",
                       headers=headers).get_json()
    assert [i["id"] for i in since["items"]] == [incident.id]
    url = "/api/v1/incidents" + (f"?cursor={cursor}" if cursor else "")
    assert [i["id"] for i in client.get(url, headers=headers).get_json()["items"]] == [incident.id]


def test_rows_sharing_a_timestamp_are_not_skipped_between_pages(client, headers, session, actor_for):
    petugas = actor_for("petugas")
    made = [report_incident(session, petugas, patient_kind="voter", complaint=f"lelah {n}", triage="hijau",
                            tps_id=petugas.tps_id) for n in range(3)]
    same = made[0].updated_at
    for incident in made:
        session.execute(HealthIncident.__table__.update().where(HealthIncident.id == incident.id)
                        .values(updated_at=same))
    session.commit()
    url, seen = f"/api/v1/incidents?limit=1&updated_since={same.isoformat().replace('+', '%2B')}", []
    while url:
        response = client.get(url, headers=headers)
        seen += [i["id"] for i in response.get_json()["items"]]
        cursor = response.get_json()["next_cursor"]
        url = f"/api/v1/incidents?limit=1&cursor={cursor}" if cursor else None
    assert seen == sorted(i.id for i in made)


def test_etag_gives_304_until_something_changes(client, headers, session, actor_for):
    # One page holds the whole city: pages are ordered by updated_at, so an earlier test's committed change
    # can move the petugas's TPS off a short first page, and a change off the page rightly keeps its ETag.
    whole_city = "/api/v1/tps?limit=1000"
    first = client.get(whole_city, headers=headers)
    petugas = actor_for("petugas")
    assert petugas.tps_id in [item["id"] for item in first.get_json()["items"]]
    etag = first.headers["ETag"]
    again = client.get(whole_city, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    assert client.get(whole_city, headers={**headers, "If-None-Match": etag}).status_code == 200


def test_the_late_filter_is_applied_before_paging(client, headers, session):
    """`late=true` is the lifecycle's rule in SQL: the first page holds `limit` late meals, however many
    deliveries that are not late come first in the page order (the filter ran on each page before)."""
    from datetime import datetime, timezone

    from sqlalchemy import update

    from logistics.models import Delivery, DeliveryKind

    first = session.scalars(select(Delivery.id).where(Delivery.kind == DeliveryKind.MEAL)
                            .order_by(Delivery.updated_at, Delivery.id).limit(10)).all()
    # Ten meals received on time, first in the page order.
    session.execute(update(Delivery).where(Delivery.id.in_(first)).values(
        status="delivered", delivered_at=Delivery.planned_at, quantity_received=Delivery.quantity_planned,
        updated_at=datetime(2025, 1, 1, tzinfo=timezone.utc)))
    session.commit()  # a request ends its session: what it should see is committed (the test's savepoint)
    page = client.get("/api/v1/deliveries?late=true&kind=meal&limit=5", headers=headers).get_json()
    assert len(page["items"]) == 5 and all(d["overdue"] or d["arrived_late"] for d in page["items"])
    assert not set(first) & {d["id"] for d in page["items"]}
    on_time = client.get("/api/v1/deliveries?late=false&kind=meal&limit=5", headers=headers).get_json()
    assert len(on_time["items"]) == 5 and {d["id"] for d in on_time["items"]} <= set(first)
    assert not any(d["overdue"] or d["arrived_late"] for d in on_time["items"])


def test_deliveries_filters(client, headers):
    meals = client.get("/api/v1/deliveries?kind=meal&status=planned&limit=20", headers=headers).get_json()
    assert meals["count"] == 20 and {(d["kind"], d["status"]) for d in meals["items"]} == {("meal", "planned")}
    late = client.get("/api/v1/deliveries?late=true&limit=20", headers=headers).get_json()
    assert late["items"] and all(d["overdue"] or d["arrived_late"] for d in late["items"])
    tps_id = meals["items"][0]["tps_id"]
    one_tps = client.get(f"/api/v1/deliveries?tps_id={tps_id}", headers=headers).get_json()
    assert {d["tps_id"] for d in one_tps["items"]} == {tps_id}
    detail = client.get(f"/api/v1/deliveries/{one_tps['items'][0]['id']}", headers=headers)
    assert detail.get_json()["tps_id"] == tps_id


def test_incident_filters_and_detail(client, headers, session, actor_for):
    petugas = actor_for("petugas")
    red = report_incident(session, petugas, patient_kind="officer", complaint="sesak", triage="merah",
                          tps_id=petugas.tps_id)
    reds = client.get("/api/v1/incidents?triage=merah&status=reported", headers=headers).get_json()
    assert red.id in [i["id"] for i in reds["items"]] and {i["triage"] for i in reds["items"]} == {"merah"}
    later = (red.occurred_at + timedelta(hours=1)).isoformat().replace("+", "%2B")
    assert red.id not in [i["id"] for i in client.get(f"/api/v1/incidents?since={later}", headers=headers)
                          .get_json()["items"]]
    assert client.get(f"/api/v1/incidents/{red.id}", headers=headers).get_json()["complaint"] == "sesak"
    assert_error(client.get("/api/v1/incidents/999999", headers=headers), 404, "not_found")


def test_medic_stations_and_health_facilities(client, headers):
    stations = client.get("/api/v1/medic-stations", headers=headers).get_json()
    assert stations["count"] == 8 and {"name", "kecamatan_id", "ambulances"} <= set(stations["items"][0])
    facilities = client.get("/api/v1/health-facilities", headers=headers).get_json()
    assert facilities["count"] > 0 and {"name", "kind"} <= set(facilities["items"][0])


def test_summary_is_the_dashboards_figures(client, headers, session, app):
    body = client.get("/api/v1/summary?date=2025-08-27", headers=headers).get_json()
    day = date(2025, 8, 27)
    expected = kecamatan_summary(session, local_at(day, time(12)), local_at(day, time(0)), local_at(day + timedelta(days=1), time(0)))
    assert [(r["nama"], r["tps_total"], r["dpt"]) for r in body["kecamatan"]] == \
        [(r["nama"], r["tps_total"], r["dpt"]) for r in expected]
    assert body["city"]["dpt"] == sum(r["dpt"] for r in expected) == 169016


def test_summary_api_is_paginated_with_totals_over_every_page(client, headers):
    """GET /api/v1/summary: `limit` kecamatan per page by Kemendagri code, `next_cursor` and a Link rel=next,
    the city totals over the whole scope on every page."""
    first = client.get("/api/v1/summary?limit=3", headers=headers)
    body = first.get_json()
    assert first.status_code == 200 and body["count"] == 3 and body["next_cursor"]
    assert 'rel="next"' in first.headers["Link"] and f"cursor={body['next_cursor']}" in first.headers["Link"]
    seen, cursor = [r["kode"] for r in body["kecamatan"]], body["next_cursor"]
    while cursor:
        page = client.get(f"/api/v1/summary?limit=3&cursor={cursor}", headers=headers).get_json()
        assert page["city"] == body["city"]
        seen += [r["kode"] for r in page["kecamatan"]]
        cursor = page["next_cursor"]
    everything = client.get("/api/v1/summary?limit=1000", headers=headers).get_json()
    assert seen == sorted(seen) == [r["kode"] for r in everything["kecamatan"]] and len(seen) == 7
    assert everything["next_cursor"] is None and "Link" not in client.get("/api/v1/summary?limit=1000", headers=headers).headers
    assert sum(r["tps_total"] for r in everything["kecamatan"]) == body["city"]["tps_total"]
    bad = client.get("/api/v1/summary?cursor=%%%", headers=headers)
    assert bad.status_code in (400, 422) and "cursor" in bad.get_data(as_text=True)
    assert client.get("/api/v1/summary?limit=0", headers=headers).status_code in (400, 422)
