from datetime import timedelta

from sqlalchemy import update

from logistics.models import WorkerHeartbeat
from logistics.timeutil import utcnow
from siaga import create_app
from siaga.worker import heartbeat


def test_healthz_ok(client, session):
    heartbeat.beat(session)  # the worker beat just now
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "worker": "ok"}


def test_healthz_says_degraded_without_a_worker_and_stays_200(client, session):
    """The load balancer keeps the server (it can serve pages); monitoring reads why it is degraded."""
    session.query(WorkerHeartbeat).delete()
    session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["database"], body["worker"]) == ("degraded", "ok", "down")
    assert "no worker heartbeat recorded" in body["reason"]
    heartbeat.beat(session)
    session.execute(update(WorkerHeartbeat).values(beat_at=utcnow() - heartbeat.STALE_AFTER - timedelta(seconds=30)))
    session.commit()
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["worker"] == "down"
    assert f"no worker heartbeat for {int(heartbeat.STALE_AFTER.total_seconds()) + 30} s" in body["reason"]
    heartbeat.beat(session)
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_healthz_503_when_database_is_down(monkeypatch):
    monkeypatch.setenv("SIAGA_ENV", "testing")
    # Nothing listens on port 1: the connection is refused at once.
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert body["database"] == "unavailable"
    assert body["reason"]
    assert response.headers["Retry-After"]
    text = response.get_data(as_text=True).lower()
    for leak in ("127.0.0.1", ":1", "port", "psycopg", "connection refused", "postgres"):
        assert leak not in text, leak


def test_api_answers_503_with_retry_after_when_database_is_down(monkeypatch):
    monkeypatch.setenv("SIAGA_ENV", "testing")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none"})
    response = app.test_client().post("/api/v1/incidents", json={"complaint": "x"},
                                      headers={"Authorization": "Bearer siaga_x", "Idempotency-Key": "down-0001"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    body = response.get_json()
    assert body["error"]["code"] == "database_unavailable" and set(body["error"]) == {"code", "message", "fields"}
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_unknown_url_is_a_json_404_for_api_clients(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_unknown_url_is_an_html_page_for_browsers(client):
    response = client.get("/nothing-here", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert b"<html" in response.data


def test_a_database_gone_after_the_response_is_built_does_not_make_it_a_500(monkeypatch, database_url):
    """`pg_ctl stop` between the view and the teardown: the session's ROLLBACK fails; the answer stands."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    monkeypatch.setenv("SIAGA_ENV", "testing")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    real_close = Session.close

    def dying_close(self):
        real_close(self)
        raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))

    monkeypatch.setattr(Session, "close", dying_close)
    response = app.test_client().get("/healthz")  # TESTING: an error in the teardown would be raised here
    assert response.status_code == 200


def test_a_page_whose_database_dies_mid_request_is_a_503_page(monkeypatch, database_url):
    """The user was loaded, then the database went away (the commit failed): the 503 page must not
    ask the database again (the layout shows who is logged in)."""
    from flask import g
    from sqlalchemy import event, select
    from sqlalchemy.exc import OperationalError

    from logistics.models import User
    from siaga.auth import new_session_values
    from siaga.extensions import db

    monkeypatch.setenv("SIAGA_ENV", "testing")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})

    def refuse(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    @app.get("/_probe/database-dies")
    def dies():
        assert g.user is not None
        db.session.expire_all()  # as the rollback after the failed commit does
        event.listen(db.engine, "before_cursor_execute", refuse)
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    client = app.test_client()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "petugas"))
        engine = db.engine
    with client.session_transaction() as browser:
        browser.update(new_session_values(user))
    try:
        response = client.get("/_probe/database-dies", headers={"Accept": "text/html"})
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Coba lagi" in response.get_data(as_text=True)


def test_a_pooled_connection_the_server_closed_is_replaced_before_use(monkeypatch, database_url):
    """A database restart between two requests (here: the pooled connection's backend terminated, as a
    restart does to every backend): the next request is answered, not a 503, with no pre-ping round trip
    (siaga/pg_liveness.py)."""
    import time

    import pytest
    from sqlalchemy import create_engine, text

    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's pooled connections")
    monkeypatch.setenv("SIAGA_ENV", "testing")
    name = f"liveness-{time.time_ns()}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"application_name": name}}})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # leaves its connection in the pool
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE application_name = :n"), {"n": name}) == 1
            for _ in range(100):
                if not conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                                   {"n": name}):
                    break
                time.sleep(0.05)
    finally:
        admin.dispose()
    time.sleep(0.1)  # the goodbye reaches the pooled socket
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_data(as_text=True)
