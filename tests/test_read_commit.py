"""A request's transaction that wrote nothing ends with COMMIT on PostgreSQL, so psycopg keeps the statements it
prepared (siaga/read_commit.py); anything else is rolled back as before, and on SQLite every request is.

Served as in production: the app's own engine and sessions (no `session` fixture: its session is never
removed), on a second app made with probe views. What these views write is a `data_version` row no page reads,
removed again at the end."""
import re

import pytest
from flask import abort
from sqlalchemy import delete, event, insert, select

from logistics.models import DataVersion
from siaga import create_app
from siaga.extensions import db
from tests.test_live_early import connections_running, prepared_on, served_as_in_production

NAME = "probe@read_commit"  # a counter no page reads
KEPT = "probe@read_commit_kept"  # one committed by the set-up, that a view changes without committing


def _read():
    return str(db.session.scalar(select(DataVersion.version).where(DataVersion.name == KEPT)))


def _read_then_404():
    _read()
    abort(404)


def _read_then_raise():
    _read()
    raise RuntimeError("the view failed")


def _write_forgotten():  # wrote and did not commit (a unit of work would have)
    db.session.execute(insert(DataVersion).values(name=NAME, shard=0, version=1))
    return "ok"


def _write_then_raise():
    db.session.execute(insert(DataVersion).values(name=NAME, shard=0, version=1))
    raise RuntimeError("the view failed after writing")


def _pending_new():  # an ORM change left pending after a read: a COMMIT would flush it
    _read()
    db.session.add(DataVersion(name=NAME, shard=0, version=1))
    return "ok"


def _pending_dirty():
    row = db.session.scalar(select(DataVersion).where(DataVersion.name == KEPT))
    row.version = 999
    return "ok"


VIEWS = {"read": _read, "read-then-404": _read_then_404, "read-then-raise": _read_then_raise,
         "write-forgotten": _write_forgotten, "write-then-raise": _write_then_raise,
         "pending-new": _pending_new, "pending-dirty": _pending_dirty}


@pytest.fixture(scope="module")
def probe(app, database_url):
    """The probe app, its client, and the ends of the transactions of its last request ("commit"/"rollback")."""
    probe_app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "PROPAGATE_EXCEPTIONS": True})
    for path, view in VIEWS.items():
        probe_app.add_url_rule(f"/_probe/{path}", path, view)
    ends: list[str] = []
    with probe_app.app_context():
        engine = db.engine
        with engine.begin() as c:
            c.execute(delete(DataVersion).where(DataVersion.name.in_((NAME, KEPT))))
            c.execute(insert(DataVersion).values(name=KEPT, shard=0, version=7))
    for name in ("commit", "rollback"):
        event.listen(engine, name, lambda _conn, name=name: ends.append(name))
    try:
        yield probe_app.test_client(), engine, ends
    finally:
        with engine.begin() as c:
            c.execute(delete(DataVersion).where(DataVersion.name.in_((NAME, KEPT))))
        engine.dispose()


def _get(probe, path: str):
    client, _engine, ends = probe
    ends.clear()
    return client.get(f"/_probe/{path}")


def _stored(engine) -> dict[str, int]:
    with engine.connect() as c:
        return dict(c.execute(select(DataVersion.name, DataVersion.version)
                              .where(DataVersion.name.in_((NAME, KEPT)))).all())


def test_a_read_request_ends_with_commit_on_postgresql(probe):
    _client, engine, ends = probe
    assert _get(probe, "read").text == "7"
    assert ends == (["commit"] if engine.dialect.name == "postgresql" else ["rollback"])


def test_a_read_answered_with_an_error_rolls_back(probe):
    assert _get(probe, "read-then-404").status_code == 404
    assert probe[2] == ["rollback"]
    with pytest.raises(RuntimeError):
        _get(probe, "read-then-raise")
    assert probe[2] == ["rollback"]


def test_a_request_that_raised_after_writing_keeps_nothing(probe):
    with pytest.raises(RuntimeError):
        _get(probe, "write-then-raise")
    assert probe[2] == ["rollback"]
    assert _stored(probe[1]) == {KEPT: 7}


def test_a_write_left_uncommitted_is_rolled_back(probe):
    """No unit of work committed it: the request's end does not either (the write is seen on the connection)."""
    assert _get(probe, "write-forgotten").status_code == 200
    assert probe[2] == ["rollback"]
    assert _stored(probe[1]) == {KEPT: 7}


@pytest.mark.parametrize("path", ["pending-new", "pending-dirty"])
def test_a_pending_orm_change_is_rolled_back_not_committed(probe, path):
    assert _get(probe, path).status_code == 200
    assert probe[2] == ["rollback"]
    assert _stored(probe[1]) == {KEPT: 7}


def test_a_connection_invalidated_in_a_transaction_still_rolls_back(probe):
    """A connection the database left (a restart) is invalidated mid-transaction, then rolled back: noting the
    transaction's end must not ask for the connection that is gone (PendingRollbackError instead of the 503)."""
    with probe[1].connect() as connection:
        connection.execute(select(DataVersion.version).where(DataVersion.name == KEPT))
        connection.invalidate()
        connection.rollback()


def test_a_read_requests_statement_stays_prepared(probe):
    """psycopg prepares a statement at its sixth run on a connection; before, the ROLLBACK that ended each
    request made it forget (and deallocate) it, so at the seventh request it was not prepared."""
    _client, engine, _ends = probe
    if engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements")
    with connections_running(engine, "FROM data_version") as used:
        for _ in range(7):
            assert _get(probe, "read").status_code == 200
    assert len(set(map(id, used))) == 1  # one request at a time: one pooled connection
    assert [s for s in prepared_on(used[-1]) if "FROM data_version" in s]


def test_the_field_pages_statements_stay_prepared(app):
    """A full field page, served as in production, seven times: its statements are prepared on the app's
    pooled connection after its end (on SQLite nothing to see: sqlite3 keeps its own statement cache)."""
    client, url, engine, _checks = served_as_in_production(app)
    if engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements")
    # A pool holding several connections, as a process's does once it has served requests side by side: the
    # page's requests still come back to one connection (the pool is LIFO), where its statements get prepared.
    held = [engine.connect() for _ in range(3)]
    for connection in held:
        connection.exec_driver_sql("SELECT 1")
    for connection in held:
        connection.close()
    sent: list = []

    used: set[int] = set()

    def note(conn, _cursor, statement, *_args):
        sent.append((conn.connection.dbapi_connection, statement))
        used.add(id(conn.connection.dbapi_connection))

    event.listen(engine, "before_cursor_execute", note)
    try:
        for _ in range(7):
            sent.clear()
            assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(used) == 1, used  # the seven requests on one connection
    statements = {_shape(s) for _c, s in sent}
    prepared = {_shape(s) for s in prepared_on(sent[-1][0])}
    assert len(statements) >= 3 and statements <= prepared, (statements - prepared, prepared)


def _shape(statement: str) -> str:
    """The statement without its placeholders' spelling (the app's %(name)s are $n on the server)."""
    return re.sub(r"%\(\w+\)s|%s|\$\d+", "?", " ".join(statement.split()))
