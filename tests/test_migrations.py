"""Migrations build the whole schema from an empty database, match the models, and reverse."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from logistics.models import Base
from siaga import create_app
from siaga.extensions import db
from tests.conftest import database_of_its_own

SCHEMA = "siaga_migration_check"


@pytest.fixture()
def empty_database_url(database_url, tmp_path):
    with database_of_its_own(database_url, tmp_path, SCHEMA) as url:
        yield url


def test_migrations_from_empty_match_models_and_reverse(monkeypatch, empty_database_url):
    monkeypatch.setenv("SIAGA_ENV", "testing")
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"

        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_0007_repairs_rows_that_carry_two_end_states_before_adding_its_checks(monkeypatch, empty_database_url):
    """A delivery both delivered and failed (two racing steps before 0007) must not stop the upgrade."""
    from siaga.seeding import seed_demo

    monkeypatch.setenv("SIAGA_ENV", "testing")
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        # Seed with today's models, then go back to before 0007 (its downgrade drops the CHECKs).
        upgrade()
        seed_demo(db.session, demo_password="x")
        db.session.remove()
        downgrade(revision="0006")
        with db.engine.begin() as conn:
            delivery_id = conn.execute(text("SELECT min(id) FROM delivery")).scalar()
            conn.execute(text("UPDATE delivery SET status = 'delivered', delivered_at = planned_at, "
                              "quantity_received = 3, failed_at = planned_at, failure_reason = 'banjir' "
                              "WHERE id = :i"), {"i": delivery_id})
        upgrade()
        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT status, delivered_at, quantity_received, failed_at, failure_reason "
                                    "FROM delivery WHERE id = :i"), {"i": delivery_id}).mappings().one()
        assert row["status"] == "delivered" and row["quantity_received"] == 3 and row["delivered_at"] is not None
        assert row["failed_at"] is None and row["failure_reason"] is None
        db.engine.dispose()


def test_0023_backfills_phones_in_one_form(monkeypatch, empty_database_url):
    """Numbers stored before 0023, however written, are found by the SMS sender lookup's equality after it."""
    monkeypatch.setenv("SIAGA_ENV", "testing")
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0022")
        with db.engine.begin() as conn:
            for code, phone in (("P1", "0812-3456 7890"), ("P2", "62 812 0000 1111"), ("P3", "nomor"), ("P4", None)):
                conn.execute(text("INSERT INTO person (code, name, role, phone, active) "
                                  "VALUES (:c, 'x', 'kpps_anggota', :p, true)"), {"c": code, "p": phone})
            conn.execute(text("INSERT INTO app_user (username, full_name, password_hash, role, active, phone) "
                              "VALUES ('k', 'k', 'x', 'coordinator', true, '0812 1111 2222')"))
        upgrade()
        with db.engine.connect() as conn:
            found = dict(conn.execute(text("SELECT code, phone_e164 FROM person ORDER BY code")).all())
            own = conn.scalar(text("SELECT phone FROM app_user WHERE username = 'k'"))
        assert found == {"P1": "+6281234567890", "P2": "+6281200001111", "P3": None, "P4": None}
        assert own == "+6281211112222"
        db.engine.dispose()


def test_0023_s_frozen_phone_rule_agrees_with_the_apps_today():
    """Migration 0023 carries its own copy of the phone rule (a migration never imports the app)."""
    import importlib.util
    from pathlib import Path

    from logistics.rules.phones import normalise_phone

    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "0023_phone_e164.py"
    spec = importlib.util.spec_from_file_location("migration_0023", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for raw in ("0812-3456 7890", "62 812 0000 1111", "+62 812 1", "+1 415 555 0100", "812345678", "nomor",
                "", None, "12345", "9" * 20, "0"):
        assert migration.normalise_phone(raw) == normalise_phone(raw), raw
