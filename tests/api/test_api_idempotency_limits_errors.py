"""Idempotency-Key on POST, rate limits per token, and the one error shape for malformed requests."""
import os

import pytest
import redis
from sqlalchemy import func, select

from logistics.models import HealthIncident
from siaga import create_app
from tests.api.conftest import assert_error

REPORT = {"patient_kind": "voter", "complaint": "pingsan", "triage": "kuning", "lat": -2.13, "lon": 106.11}


def count(session):
    return session.scalar(select(func.count(HealthIncident.id)))


def test_same_key_and_body_returns_the_first_response(client, bearer, session):
    headers = {**bearer(["write:incidents"], agency="TNI-Polri"), "Idempotency-Key": "partner-report-0001"}
    before = count(session)
    first = client.post("/api/v1/incidents", json=REPORT, headers=headers)
    again = client.post("/api/v1/incidents", json=REPORT, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert count(session) == before + 1


def test_same_key_with_another_body_is_409(client, bearer):
    headers = {**bearer(["write:incidents"], agency="TNI-Polri"), "Idempotency-Key": "partner-report-0002"}
    client.post("/api/v1/incidents", json=REPORT, headers=headers)
    assert_error(client.post("/api/v1/incidents", json={**REPORT, "triage": "merah"}, headers=headers),
                 409, "idempotency_key_reused")


def test_keys_belong_to_their_token(client, bearer, session):
    before = count(session)
    for _ in range(2):
        headers = {**bearer(["write:incidents"], agency="TNI-Polri"), "Idempotency-Key": "shared-key-0003"}
        assert client.post("/api/v1/incidents", json=REPORT, headers=headers).status_code == 201
    assert count(session) == before + 2


@pytest.fixture()
def limited_client(database_url, session):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "API_RATE_LIMIT": "3 per minute"})
    return app.test_client()


def test_rate_limit_per_token_gives_429_in_the_error_shape(limited_client, bearer):
    first, second = bearer(["read:tps"]), bearer(["read:tps"])
    statuses = [limited_client.get("/api/v1/tps?limit=1", headers=first).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = limited_client.get("/api/v1/tps?limit=1", headers=first)
    assert_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    assert limited_client.get("/api/v1/tps?limit=1", headers=second).status_code == 200  # its own budget
    assert limited_client.get("/healthz").status_code == 200  # pages are not limited


def test_rate_limits_can_be_shared_through_redis(database_url, session, bearer):
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "API_RATE_LIMIT": "2 per minute",
              "RATELIMIT_STORAGE_URI": url}
    one, two = (create_app(config).test_client() for _ in range(2))  # two app servers
    headers = bearer(["read:tps"])
    assert one.get("/api/v1/tps?limit=1", headers=headers).status_code == 200
    assert two.get("/api/v1/tps?limit=1", headers=headers).status_code == 200
    assert_error(one.get("/api/v1/tps?limit=1", headers=headers), 429)


def test_malformed_requests_get_a_clear_4xx(client, bearer):
    headers = bearer(["write:incidents", "read:incidents"], agency="TNI-Polri")
    assert_error(client.post("/api/v1/incidents", data="{", content_type="application/json", headers=headers), 400)
    assert_error(client.post("/api/v1/incidents", data="x" * (1024 * 1024 + 1), content_type="application/json",
                             headers=headers), 413)
    assert_error(client.delete("/api/v1/incidents", headers=headers), 405)
    assert_error(client.get("/api/v1/nothing-here", headers=headers), 404)
    assert_error(client.get("/api/v1/incidents/99999999999", headers=headers), 404)
    fields = assert_error(client.post("/api/v1/incidents", json={"triage": "ungu", "tps_id": "x", "lat": "NaN"},
                                      headers=headers), 422)["fields"]
    assert {"triage", "tps_id", "complaint", "patient_kind"} <= set(fields)
    assert assert_error(client.post("/api/v1/incidents", json=[1, 2], headers=headers), 422)["fields"]
    no_place = assert_error(client.post("/api/v1/incidents", json={k: v for k, v in REPORT.items() if k not in ("lat", "lon")},
                                        headers=headers), 422)
    assert "place" in no_place["fields"]
    future = assert_error(client.post("/api/v1/incidents", json={**REPORT, "occurred_at": "2999-01-01T00:00:00Z"},
                                      headers=headers), 422)
    assert "occurred_at" in future["fields"]
    assert_error(client.post("/api/v1/incidents", json=REPORT, headers={**headers, "Idempotency-Key": "bad key"}), 400)


VALID = '"patient_kind":"voter","triage":"merah","lat":-2.1,"lon":106.1'


@pytest.mark.parametrize("body, status", [
    ("null", 422), ('"text"', 422), ("[]", 422), ('{"a":' * 5000, 400),
    ('{"complaint":"a\\u0000b",' + VALID + "}", 422),  # PostgreSQL text holds no NUL
    ('{"complaint":"\\ud800",' + VALID + "}", 422),  # a lone surrogate cannot be stored as UTF-8
    ('{"complaint":"a","tps_id":99999999999999999999,' + VALID + "}", 422),
    ('{"complaint":"a","tps_id":' + "9" * 5000 + "," + VALID + "}", 422),  # more digits than Python makes an int of
    ('{"complaint":"a","tps_id":1.5,"patient_kind":"voter","triage":"merah"}', 422),
    ('{"complaint":"' + "a" * 5000 + '",' + VALID + "}", 422),
    ('{"complaint":"a","occurred_at":"2025-08-27T07:00:00",' + VALID + "}", 422),  # no zone
    ('{"complaint":"a","extra":1,' + VALID + "}", 422),
])
def test_hostile_bodies_get_a_4xx_in_the_shape(client, bearer, body, status):
    headers = bearer(["write:incidents"], agency="Dinkes")
    for url in ("/api/v1/incidents", "/api/v1/incidents/1/steps"):
        response = client.post(url, data=body, content_type="application/json", headers=headers)
        assert 400 <= response.status_code < 500
        assert set(response.get_json()["error"]) == {"code", "message", "fields"}
    assert client.post("/api/v1/incidents", data=body, content_type="application/json",
                       headers=headers).status_code == status
