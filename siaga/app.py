"""The application factory."""
from __future__ import annotations

import logging
import os

import click
from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from siaga.config import load_settings
from siaga.extensions import db, migrate


def create_app(overrides: dict | None = None) -> Flask:
    """Create the app from environment variables; `overrides` (tests) wins over them."""
    app = Flask(__name__.split(".")[0], instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    settings = load_settings(app.instance_path)
    app.config.from_mapping(settings.as_flask_config())
    if overrides:
        app.config.update(overrides)
    _pool_options(app)

    db.init_app(app)
    app.teardown_appcontext(_close_session_quietly)  # runs before Flask-SQLAlchemy's own remove()
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    with app.app_context():
        _tune_sqlite(db.engine)
        _tune_postgresql(app, db.engine)

    from siaga import auth, errors, i18n, live, observability, security, templating
    from siaga.cli import register_cli

    security.register(app)
    errors.register(app)
    templating.register(app)
    i18n.register(app)
    live.register(app)  # before auth: a live page's early check comes before the account's read
    auth.register(app)
    observability.register(app)  # after auth: its before_request reads the user auth loaded
    _register_pages(app)
    register_cli(app)
    _election_defaults(app)
    return app


def _election_defaults(app: Flask) -> None:
    """ELECTION_DATE from the environment is the default the stored election settings start from."""
    from datetime import date

    from logistics.queries.kept import keep
    from logistics.settings import set_defaults

    set_defaults(date.fromisoformat(app.config["ELECTION_DATE"]))
    # The settings and zones kept per process (logistics/queries/kept.py); not under tests, whose rolled-back
    # transactions reuse version numbers.
    keep(app.config.get("KEEP_PER_PROCESS", not app.testing))


def _register_pages(app: Flask) -> None:
    """Every blueprint: plumbing, field pages (phones), coordinators' pages, the partner API. One style:
    each part has `register(app)`, which registers its blueprints and whatever else it needs."""
    import admin
    import api
    import field
    import maps
    from siaga import first_login, health, home, push
    from siaga.sms import web as sms_web

    for part in (first_login, health, home, push, sms_web, field, maps, admin, api):
        part.register(app)


def _close_session_quietly(_exc) -> None:
    """End the request's session without letting a dead database turn a finished response into a 500.

    If the database went away after the response was built (a restart, `pg_ctl stop`), rolling back the
    session's read transaction fails; Flask-SQLAlchemy's teardown would raise that past every error
    handler. The response stands; the pool drops the broken connection.

    A request's transaction that only read is committed first (PostgreSQL: psycopg's prepared statements
    survive a COMMIT, not a ROLLBACK; siaga/read_commit.py); any other is rolled back by the remove()."""
    from siaga.read_commit import commit_if_read_only

    try:
        commit_if_read_only(db.session, _exc)
        db.session.remove()
    except SQLAlchemyError:
        logging.getLogger(__name__).warning("closing the session failed (database gone?)", exc_info=True)
        try:
            if db.session.registry.has():
                db.session.registry().invalidate()  # drop its connections without another ROLLBACK
        except SQLAlchemyError:
            pass
        db.session.registry.clear()


def _pool_options(app: Flask) -> None:
    """On PostgreSQL the pool hands out the connection returned last (LIFO, not the default FIFO): what psycopg
    prepared is per connection (siaga/read_commit.py), and a process whose pool holds several connections would
    otherwise take them in turn, none reaching the runs that prepare a statement."""
    if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                                                   "pool_use_lifo": True}


def _tune_postgresql(app: Flask, engine: Engine) -> None:
    """Pooled connections are checked for a server that left without a round trip (siaga/pg_liveness.py),
    instead of pool_pre_ping's SELECT 1 per request; a request's transaction that wrote nothing ends with
    COMMIT, which keeps psycopg's prepared statements (siaga/read_commit.py)."""
    if engine.dialect.name == "postgresql":
        from siaga import pg_liveness, read_commit

        pg_liveness.install(engine)
        read_commit.install(app, engine)


def _tune_sqlite(engine: Engine) -> None:
    """WAL + synchronous=NORMAL on a pooled connection: ~0.03 ms per insert instead of ~3 ms
    (shared/notes/performance-facts.md); foreign keys on, and wait for a writer instead of failing.

    pysqlite also defers BEGIN on its own, which breaks SAVEPOINTs; SQLAlchemy's documented fix
    hands transaction control back to SQLAlchemy (autocommit driver mode + an explicit BEGIN).

    A write request takes the write lock up front (BEGIN IMMEDIATE): a deferred transaction that
    reads and then writes cannot wait for a concurrent writer (SQLite answers "database is locked"
    at once to avoid a deadlock), whereas BEGIN IMMEDIATE waits up to busy_timeout. Reads keep a
    deferred BEGIN and, under WAL, never wait. Writers take turns through a file lock first
    (siaga/sqlite_writes.py), so the next one starts the moment the previous one commits.
    """
    if engine.dialect.name != "sqlite":
        return

    from siaga import sqlite_writes

    sqlite_writes.install(engine, _is_write_request, timeout_seconds=BUSY_TIMEOUT_MS / 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


BUSY_TIMEOUT_MS = 5000
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_write_request() -> bool:
    from siaga.sqlite_writes import is_writer

    if is_writer():
        return True
    if has_request_context():
        return request.method in WRITE_METHODS
    # A command (flask drill, the importers, recompute-coverage) writes while the server serves: it takes
    # its turn as a write request does, since a deferred transaction that reads and then writes fails at
    # once ("database is locked") when a request wrote in between. Background threads (map grid, shared
    # figures) have no command and keep a deferred BEGIN: they mostly read.
    return click.get_current_context(silent=True) is not None
