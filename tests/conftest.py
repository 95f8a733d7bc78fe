"""Test set-up: one migrated and seeded database per run, and a transaction rolled back per test.

SQLite (a temporary file) by default; PostgreSQL when TEST_DATABASE_URL is set. The demo city is
seeded once; every test runs inside an outer transaction that is rolled back afterwards, and the
services' own commits become savepoints inside it (warehouse's pattern).
"""
from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text
from sqlalchemy.orm import scoped_session, sessionmaker

from logistics.actor import Actor
from logistics.models import User
from logistics.services.unit_of_work import watch
from siaga import create_app
from siaga.config import normalise_database_url
from siaga.extensions import db
from siaga.seeding import seed_demo

# Fixtures kept in modules of their own, offered to every test as this file's are.
pytest_plugins = ("tests.fixtures.worker_processes",)

DEMO_PASSWORD = "test-password"


def reset_database(url: str) -> None:
    """Empty the test database, so migrations run from nothing."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@contextmanager
def database_of_its_own(database_url: str, tmp_path, name: str):
    """An empty database of the suite's kind for a test that commits for real or runs migrations: a new
    SQLite file, or a fresh PostgreSQL schema `name` next to the suite's (selected through search_path),
    dropped afterwards."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/{name}.db"
        return
    from sqlalchemy import create_engine

    admin = create_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    sep = "&" if "?" in database_url else "?"
    try:
        yield f"{database_url}{sep}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "siaga-test.db")


@pytest.fixture(scope="session")
def app(database_url):
    os.environ["SIAGA_ENV"] = "testing"
    reset_database(database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        seed_demo(db.session, demo_password=DEMO_PASSWORD)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


class TestScopedSession(scoped_session):
    """Flask-SQLAlchemy removes the session after each request; in a test the same session
    (and the objects the test holds) must live on across requests until the test ends."""

    def remove(self):
        pass


@pytest.fixture()
def session(app):
    """A session whose every commit is undone after the test.

    No app context stays pushed during the test: each test-client request gets its own, as in
    production, so nothing leaks between requests through `g`.
    """
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = TestScopedSession(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    # A write of a versioned table outside a unit of work fails the test (logistics/services/unit_of_work.py):
    # it would leave data versions (ETags) and coverage stale. Set-up that writes by hand opens one too.
    watch(db.session, strict=True)
    try:
        yield db.session
    finally:
        db.session.registry().close()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def empty_database(app, database_url, tmp_path_factory):
    """A second database of the suite's kind, migrated and left empty (no demo city): the engine."""
    with database_of_its_own(database_url, tmp_path_factory.mktemp("empty"), "empty_city") as url:
        empty_app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with empty_app.app_context():
            upgrade()
            db.session.remove()
            engine = db.engine  # the app's engine: its connection set-up (SQLite's BEGIN, for savepoints)
        yield engine
        engine.dispose()


@pytest.fixture()
def empty_session(empty_database):
    """A session on the empty database whose every commit is undone after the test (as `session`): a
    domain test builds what it needs with tests/factories.py and depends on no seeded record."""
    connection = empty_database.connect()
    outer = connection.begin()
    session = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")()
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture()
def client(app, session):
    return app.test_client()


@pytest.fixture()
def actor_for(session):
    """Actor of a demo account, by username."""

    def build(username: str) -> Actor:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None, username
        return Actor.from_user(user)

    return build


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Rate-limit counts (API, failed logins) start from zero in each test that uses the app."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").extensions["siaga_api_limiter"].reset()


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture()
def access_lines():
    """The access log's lines (siaga/observability.py) written during the test, as dicts."""
    from siaga import observability

    handler = _Lines()
    observability.access_log.addHandler(handler)
    previous = observability.access_log.level
    observability.access_log.setLevel(logging.INFO)
    yield handler.lines
    observability.access_log.removeHandler(handler)
    observability.access_log.setLevel(previous)


@pytest.fixture()
def by_flask(app):
    """The requests Flask's request handling began (none for a check siaga/live.py's early way answered)."""
    from flask import request_started

    begun: list[str] = []

    def note(_sender, **_extra):
        from flask import request

        begun.append(request.path)

    request_started.connect(note, app)
    yield begun
    request_started.disconnect(note, app)
