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
