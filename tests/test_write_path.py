"""The status-fields rule and its SQL twin agree; reading a token
never writes in the request."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from logistics.models import ApiToken, Delivery, HealthIncident, Tps
from logistics.rules.lifecycles.delivery import DELIVERY
from logistics.rules.lifecycles.incident import INCIDENT
from logistics.rules.lifecycles.tps_day import TPS_DAY

DELIVERY_FIELDS, INCIDENT_FIELDS, TPS_FIELDS = DELIVERY.fields, INCIDENT.fields, TPS_DAY.fields
from logistics.actor import Actor
from logistics.services.api_tokens import create_token, find_active_token
from logistics.services.incidents import report_incident
from logistics.timeutil import utcnow

NOW = utcnow()


CASES = [
    (DELIVERY_FIELDS, Delivery, "delivered", {"delivered_at": NOW, "quantity_received": 5}, True),
    (DELIVERY_FIELDS, Delivery, "delivered", {"delivered_at": NOW, "quantity_received": 5,
                                              "failure_reason": "jalan banjir"}, False),
    (DELIVERY_FIELDS, Delivery, "delivered", {"delivered_at": NOW, "quantity_received": 5, "failed_at": NOW}, False),
    (DELIVERY_FIELDS, Delivery, "failed", {"failed_at": NOW, "failure_reason": "hujan"}, True),
    (DELIVERY_FIELDS, Delivery, "failed", {"failed_at": NOW, "quantity_received": 5}, False),
    (DELIVERY_FIELDS, Delivery, "failed", {}, False),
    (DELIVERY_FIELDS, Delivery, "planned", {"dispatched_at": NOW}, False),
    (TPS_FIELDS, Tps, "open", {"opened_at": NOW}, True),
    (TPS_FIELDS, Tps, "open", {"opened_at": NOW, "counted_at": NOW}, False),
    (TPS_FIELDS, Tps, "setup", {"opened_at": NOW}, False),
    (TPS_FIELDS, Tps, "counted", {"counted_at": NOW}, True),  # skipped steps stay empty
    (INCIDENT_FIELDS, HealthIncident, "closed", {"responding_at": NOW, "treated_at": NOW, "closed_at": NOW}, True),
    (INCIDENT_FIELDS, HealthIncident, "responding", {"responding_at": NOW, "closed_at": NOW}, False),
    (INCIDENT_FIELDS, HealthIncident, "referred", {"responding_at": NOW}, False),
]


def some_incident(session, actor_for):
    officer = actor_for("petugas")
    return report_incident(session, officer, patient_kind="officer", complaint="pingsan", triage="hijau",
                           tps_id=officer.tps_id)


@pytest.mark.parametrize("rule, model, status, values, fits", CASES)
def test_the_rule_and_its_sql_twin_agree(session, actor_for, rule, model, status, values, fits):
    row = session.scalars(select(model).order_by(model.id).limit(1)).first() or some_incident(session, actor_for)
    row_values = {**{column: None for column in rule.allowed_in}, **values}
    assert rule.holds(status, row_values) is fits
    statement = update(model).where(model.id == row.id).values(**row_values, status=status)
    with session.begin_nested() as savepoint:
        if fits:
            session.execute(statement)
        else:
            with pytest.raises(IntegrityError):
                session.execute(statement)
        savepoint.rollback()


def test_finding_a_token_never_writes(session, client):
    _token, secret = create_token(session, Actor.system("test"), scopes=["read:tps"], agency="Dinkes")
    headers = {"Authorization": f"Bearer {secret}"}
    token = find_active_token(session, secret)
    assert token is not None and not session.dirty and not session.new
    assert token.last_used_at is None

    assert client.get("/api/v1/tps?limit=1", headers=headers).status_code == 200
    session.expire_all()
    first = session.get(ApiToken, token.id).last_used_at
    assert first is not None  # stamped after the view, in its own transaction
    session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=first - timedelta(seconds=5)))
    assert client.get("/api/v1/tps?limit=1", headers=headers).status_code == 200
    session.expire_all()
    assert session.get(ApiToken, token.id).last_used_at == first - timedelta(seconds=5)  # at most once a minute


def test_sqlite_write_request_reads_its_token_before_taking_the_write_turn(app, database_url):
    """On SQLite a POST's token look-up runs in a deferred (reading) transaction ended before the post's
    writes, which begin with BEGIN IMMEDIATE: the write turn is not held while the token is read, so the
    other worker may write meanwhile (siaga/sqlite_writes.py, `reads_before_the_turn`). An unknown token:
    a 401 after the look-up, nothing written."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write turn")
    from sqlalchemy import event

    from logistics.services.api_tokens import TOKEN_PREFIX
    from siaga.extensions import db

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_rest):
        statements.append(" ".join(statement.split()[:2]))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = app.test_client().post("/api/v1/tps/1/officers", json={"count": 7},
                                          headers={"Authorization": f"Bearer {TOKEN_PREFIX}no-such-token"})
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert response.status_code == 401
    token_read = next(i for i, s in enumerate(statements) if s.startswith("SELECT"))
    assert statements[:token_read] == ["BEGIN"], statements  # not BEGIN IMMEDIATE: no write turn
    assert "BEGIN IMMEDIATE" not in statements, statements  # nothing after it wrote


def test_a_post_writes_its_key_audit_entry_and_data_versions_last_in_one_statement_on_postgresql(
        client, session, database_url):
    """After the change, the post's key (with its answer), its audit entry and the data versions it moves are
    written by the unit of work's commit (logistics/services/commit_writes.py): one statement on PostgreSQL
    (data-modifying CTEs, one round trip), three on SQLite (no such CTEs there), in the same order as before."""
    from sqlalchemy import event

    from tests.field_client import log_in_as

    officer = log_in_as(client, session, "petugas")
    _token, secret = create_token(session, Actor.system("test"), scopes=["write:tps-status"], username="petugas",
                                  name="post")
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_rest):
        statements.append(" ".join(statement.split()))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        response = client.post(f"/api/v1/tps/{officer.tps_id}/officers", json={"count": 7},
                               headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "one-statement-1"})
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert response.status_code == 200
    change = next(i for i, s in enumerate(statements) if s.startswith("UPDATE tps"))
    stamp = next((i for i, s in enumerate(statements) if s.startswith("UPDATE api_token")), len(statements))
    last = [s for s in statements[change + 1:stamp] if not s.startswith(("SAVEPOINT", "RELEASE"))]
    if database_url.startswith("postgresql"):
        assert len(last) == 1 and last[0].startswith("WITH claim AS (INSERT INTO idempotency_record"), last
        assert last[0].index("INSERT INTO audit_entry") < last[0].index("INSERT INTO data_version"), last
    else:
        assert [" ".join(s.split()[:3]) for s in last] == [
            "INSERT INTO audit_entry", "INSERT INTO idempotency_record", "INSERT INTO data_version"], last


def test_a_twin_waits_on_the_key_before_it_touches_a_counter(database_url):
    """Lock order on PostgreSQL: the commit's one statement inserts the key before it bumps any data version,
    so a twin whose key another transaction holds waits on the key's unique index holding no counter (which
    every other post waits on), then fails as a replay (IntegrityError). Committed for real, on connections
    of its own; its rows are removed afterwards."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's writers take turns: no lock order")
    import threading

    from sqlalchemy import create_engine, delete, insert, text
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from logistics.models import IdempotencyRecord
    from logistics.services.commit_writes import write_at_commit
    from logistics.services.data_versions import SHARDS, bump

    engine = create_engine(database_url)
    record = {"scope": "test:lock-order", "key": f"twin-{utcnow().timestamp()}", "fingerprint": "f" * 64,
              "created_at": utcnow(), "status_code": 200, "response_body": "{}", "response_headers": {}}
    try:
        with Session(engine) as setup, setup.begin():  # every shard of the counter exists: a bump updates a row
            for _ in range(SHARDS * 8):
                bump(setup, ["test_lock_order"])
        first, twin = engine.connect(), Session(engine)
        try:
            first.begin()
            first.execute(insert(IdempotencyRecord.__table__), record)  # the first twin, not yet committed
            twin_pid = twin.scalar(text("SELECT pg_backend_pid()"))
            failed: list[Exception] = []

            def second():
                try:
                    write_at_commit(twin, record=record, audits=[], versions={"test_lock_order"})
                except Exception as exc:  # noqa: BLE001 - looked at below
                    failed.append(exc)

            thread = threading.Thread(target=second)
            thread.start()
            with engine.connect() as look:
                for _ in range(200):  # until the twin waits on a lock
                    if look.scalar(text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"),
                                   {"pid": twin_pid}):
                        break
                    thread.join(0.05)
                else:
                    raise AssertionError("the twin never waited")
                look.rollback()
                with look.begin():
                    try:  # no counter row is locked by the waiting twin
                        look.execute(text("SELECT 1 FROM data_version WHERE name = 'test_lock_order' "
                                          "FOR UPDATE NOWAIT"))
                    except OperationalError as exc:
                        raise AssertionError("the twin locked a counter before the key") from exc
            first.commit()
            thread.join(10)
            assert len(failed) == 1 and isinstance(failed[0], IntegrityError), failed
        finally:
            first.rollback()  # (a failed check: the twin stops waiting)
            first.close()
            twin.rollback()
            twin.close()
    finally:
        with engine.begin() as cleanup:
            cleanup.execute(delete(IdempotencyRecord.__table__).where(IdempotencyRecord.scope == "test:lock-order"))
            cleanup.execute(text("DELETE FROM data_version WHERE name = 'test_lock_order'"))
        engine.dispose()
