"""On PostgreSQL a request's transaction that wrote nothing ends with COMMIT, so its prepared statements stay.

psycopg prepares a statement at its sixth run on a connection, and at the ROLLBACK of an open transaction
forgets all it prepared there and sends DEALLOCATE ALL (psycopg's `_rollback_gen`; a COMMIT clears
nothing). Every request used to end its session with one (Flask-SQLAlchemy's teardown: remove → close →
rollback), so no statement of a page, a map layer or an API read stayed prepared between requests:
PostgreSQL parsed and planned each one on every request, and a request that had prepared one paid a
DEALLOCATE round trip more (docs/SCALING.md, "The read requests' statements stay prepared"). For a
transaction that only read, COMMIT and ROLLBACK leave the data the same.

COMMIT only when all of these hold; otherwise the ROLLBACK as before:
- the database is PostgreSQL. SQLite is unchanged: sqlite3 keeps its statement cache across a rollback
  (nothing to win), and its write turns (siaga/sqlite_writes.py) stay exactly as they were;
- it is a request's (a command's or a worker job's app context keeps its rollback), answered without an
  exception: none left unhandled (the teardown's `exc`) and none turned into an error answer (status ≥ 400);
- the session holds no pending ORM change (new, dirty, deleted) and no unit of work is open in it;
- on its connection no statement that may write ran in this transaction (`_note`: anything but SELECT,
  SHOW, SET LOCAL and a WITH naming no INSERT, UPDATE, DELETE or MERGE counts as a write, a SAVEPOINT
  too), the transaction is the connection's own (not a savepoint of the tests'), and it is not in error.
Writes are the units of work's, which commit once (logistics/services/unit_of_work.py): a transaction
still holding a write at the request's end is one that failed or forgot to commit, and is rolled back.
"""
from __future__ import annotations

import re

from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

WROTE = "siaga_may_have_written"  # Connection.info (lives with the DBAPI connection): set until the transaction ends
_ANSWERED = "siaga_answered_without_error"  # flask.g: the request's answer was not an error

# Statements that cannot change what a COMMIT would keep and a ROLLBACK undo. SELECT's side effects are
# transaction-scoped (row and advisory xact locks, released by either) or not transactional (sequences).
_READ = re.compile(r"\s*(?:SELECT|SHOW|SET\s+LOCAL)\b", re.IGNORECASE)
_WITH = re.compile(r"\s*WITH\b", re.IGNORECASE)
_DML = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def install(app: Flask, engine: Engine) -> None:
    """Note the writes on `engine`'s connections (PostgreSQL only) and which answers were not errors."""
    if engine.dialect.name != "postgresql":
        return
    event.listen(engine, "before_cursor_execute", _note)
    for name in ("begin", "commit", "rollback"):
        event.listen(engine, name, _forget)

    @app.after_request  # registered first, so it runs last: it sees the answer as sent
    def _answered(response):
        setattr(g, _ANSWERED, response.status_code < 400)
        return response


def _note(conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    if _READ.match(statement) or (_WITH.match(statement) and not _DML.search(statement)):
        return
    conn.info[WROTE] = True


def _forget(conn) -> None:
    if conn.invalidated:  # its DBAPI connection is gone (and its info with it): asking would raise
        return
    conn.info.pop(WROTE, None)


def commit_if_read_only(scoped: scoped_session, exc: BaseException | None) -> bool:
    """At the request's end, before the session is removed: COMMIT its transaction if it only read (above).
    Whether it did; a failing COMMIT raises, as the ROLLBACK would have."""
    if exc is not None or not g.pop(_ANSWERED, False) or not scoped.registry.has():
        return False
    session = scoped()
    if not _only_read(session):
        return False
    session.expire_on_commit = False  # the objects stay as close() leaves them: loaded, detached
    session.commit()
    return True


def _only_read(session: Session) -> bool:
    from logistics.services.unit_of_work import active

    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active:  # none, or a failed flush's: only a rollback ends it
        return False
    if session.new or session.dirty or session.deleted or active(session):
        return False
    if session.get_bind().dialect.name != "postgresql":
        return False
    connection = session.connection()
    if connection.invalidated or connection.info.get(WROTE) or connection.in_nested_transaction():
        return False
    status = getattr(connection.connection.dbapi_connection, "info", None)
    return status is not None and status.transaction_status.name in ("INTRANS", "IDLE")
