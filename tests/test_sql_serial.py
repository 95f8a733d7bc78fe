"""logistics/queries/sql_serial.py: the dashboard's figures computed without PostgreSQL's parallel workers,
for those statements only (the transaction's setting restored after them)."""
from __future__ import annotations

from sqlalchemy import text

from logistics.queries.sql_serial import serial


def test_serial_within_and_restored_after(session):
    if session.get_bind().dialect.name != "postgresql":
        with serial(session):  # nothing to set: runs as it is
            assert session.execute(text("SELECT 1")).scalar() == 1
        return
    setting = text("SHOW max_parallel_workers_per_gather")
    before = session.execute(setting).scalar()
    with serial(session):
        assert session.execute(setting).scalar() == "0"
    assert session.execute(setting).scalar() == before != "0"
