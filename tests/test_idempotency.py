"""Idempotency keys: retries and replays never create a second record."""
import pytest
from flask import g, jsonify, request
from sqlalchemy import func, select

from logistics.actor import Actor
from logistics.models import HealthIncident, IdempotencyRecord, User
from logistics.services.incidents import report_incident
from siaga import create_app
from siaga.extensions import csrf, db
from siaga import idempotency
from siaga.idempotency import idempotent
from siaga.auth import new_session_values


@pytest.fixture()
def probe_app(database_url, session):
    """An app with one idempotent JSON endpoint that reports an incident."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})

    @app.post("/_probe/incidents")
    @csrf.exempt
    @idempotent
    def probe():
        body = request.get_json()
        incident = report_incident(db.session, Actor.from_user(g.user), patient_kind="officer",
                                   complaint=body["complaint"], triage=body["triage"], tps_id=g.user.tps_id)
        return jsonify(id=incident.id), 201

    return app


def login(app, session, username):
    client = app.test_client()
    user = session.scalar(select(User).where(User.username == username))
    with client.session_transaction() as s:
        s.update(new_session_values(user))
    return client


def incidents(session):
    return session.scalar(select(func.count()).select_from(HealthIncident))


BODY = {"complaint": "pingsan", "triage": "merah"}


def test_same_key_sent_three_times_creates_one_record(probe_app, session):
    client = login(probe_app, session, "petugas")
    before = incidents(session)
    responses = [client.post("/_probe/incidents", json=BODY, headers={"Idempotency-Key": "offline-abc-123"})
                 for _ in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert len({r.get_json()["id"] for r in responses}) == 1
    assert "Idempotent-Replayed" not in responses[0].headers
    assert responses[2].headers["Idempotent-Replayed"] == "true"
    assert incidents(session) == before + 1


def test_same_key_with_a_different_body_is_a_conflict(probe_app, session):
    client = login(probe_app, session, "petugas")
    client.post("/_probe/incidents", json=BODY, headers={"Idempotency-Key": "key-conflict-1"})
    response = client.post("/_probe/incidents", json={**BODY, "triage": "hijau"},
                           headers={"Idempotency-Key": "key-conflict-1"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"


def test_without_a_key_each_post_counts(probe_app, session):
    client = login(probe_app, session, "petugas")
    before = incidents(session)
    client.post("/_probe/incidents", json=BODY)
    client.post("/_probe/incidents", json=BODY)
    assert incidents(session) == before + 2


def test_keys_belong_to_their_caller(probe_app, session):
    first = login(probe_app, session, "petugas").post(
        "/_probe/incidents", json=BODY, headers={"Idempotency-Key": "shared-key-1"})
    second = login(probe_app, session, "admin").post(
        "/_probe/incidents", json=BODY, headers={"Idempotency-Key": "shared-key-1"})
    assert first.status_code == 201 and second.status_code in (201, 422)
    assert "Idempotent-Replayed" not in second.headers


@pytest.mark.parametrize("key", ["short", "has space in it", "x" * 101, "emoji-🙂-key"])
def test_malformed_key_is_a_400(probe_app, session, key):
    response = login(probe_app, session, "petugas").post(
        "/_probe/incidents", json=BODY, headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_idempotency_key"


def test_an_error_response_is_remembered_too(probe_app, session):
    client = login(probe_app, session, "petugas")
    before = incidents(session)
    bad = {"complaint": "pingsan", "triage": "ungu"}
    first = client.post("/_probe/incidents", json=bad, headers={"Idempotency-Key": "bad-report-1"})
    again = client.post("/_probe/incidents", json=bad, headers={"Idempotency-Key": "bad-report-1"})
    assert first.status_code == again.status_code == 422
    assert first.get_json()["error"]["fields"]["triage"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert incidents(session) == before


# One transaction per submission: the change, its audit entry and the stored answer.

def test_a_submission_whose_answer_cannot_be_stored_leaves_nothing_and_runs_again(probe_app, session, monkeypatch):
    client = login(probe_app, session, "petugas")
    before = incidents(session)
    original = idempotency._remember

    def broken(record, response):
        raise RuntimeError("the database went away before the commit")

    monkeypatch.setattr(idempotency, "_remember", broken)
    probe_app.testing = False  # an unhandled error is a 500, as in production
    failed = client.post("/_probe/incidents", json=BODY, headers={"Idempotency-Key": "uow-retry-0001"})
    assert failed.status_code == 500
    assert incidents(session) == before  # the service's own "commit" did not end the transaction
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)
                          .where(IdempotencyRecord.key == "uow-retry-0001")) == 0  # no claim left behind

    monkeypatch.setattr(idempotency, "_remember", original)
    retried = client.post("/_probe/incidents", json=BODY, headers={"Idempotency-Key": "uow-retry-0001"})
    again = client.post("/_probe/incidents", json=BODY, headers={"Idempotency-Key": "uow-retry-0001"})
    assert retried.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers and again.headers["Idempotent-Replayed"] == "true"
    assert incidents(session) == before + 1


def test_the_change_and_its_stored_answer_commit_together(probe_app, session):
    client = login(probe_app, session, "petugas")
    response = client.post("/_probe/incidents", json=BODY, headers={"Idempotency-Key": "uow-together-01"})
    record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == "uow-together-01"))
    assert record.status_code == 201 and str(response.get_json()["id"]) in record.response_body
    assert session.get(HealthIncident, response.get_json()["id"]) is not None
