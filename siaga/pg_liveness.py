"""A pooled PostgreSQL connection is checked without a round trip before a request uses it.

`pool_pre_ping` sends `SELECT 1` on every checkout: one more round trip for every request, the
election-day post included (docs/PERFORMANCE.md). What it guards against is a connection the server has
closed while it sat in the pool: a restart, `pg_ctl stop`, `pg_terminate_backend`, an idle timeout. In
every such case the server first sends its goodbye (an ErrorResponse "terminating connection ...") and
closes the socket, so an idle connection whose socket has something to read is one the server has left.
A zero-timeout `select()` on the socket sees that for the cost of a system call; such a connection is
discarded (`DisconnectionError`: the pool opens a fresh one and the request goes on), as pre-ping would
have done. An idle connection that is alive never has anything to read (the app uses no LISTEN).

Not covered, as before: a server that vanishes without closing its sockets (a host gone from the
network) — the request's first statement then fails and the one error handler answers 503 + Retry-After.
"""
from __future__ import annotations

import select

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


def install(engine: Engine) -> None:
    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, _record, _proxy):
        if server_has_left(dbapi_connection):
            raise DisconnectionError("the server closed this pooled connection")


def server_has_left(dbapi_connection) -> bool:
    """Whether an idle psycopg connection is unusable: closed, broken, or its socket has input."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    try:
        readable, _w, _x = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):  # no socket any more
        return True
    return bool(readable)
