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


def test_the_dashboards_figures_are_computed_serially(session, monkeypatch):
    """Both ways the dashboard's figures are computed (one scope; a kota's kecamatan together) run their
    statements without parallel workers, and leave the transaction's setting as it was."""
    if session.get_bind().dialect.name != "postgresql":
        return
    from datetime import datetime, timezone

    from logistics.queries import dashboard

    setting = text("SHOW max_parallel_workers_per_gather")
    seen = []
    summary = dashboard.kecamatan_summary

    def noting(*args, **kwargs):
        seen.append(session.execute(setting).scalar())
        return summary(*args, **kwargs)

    monkeypatch.setattr(dashboard, "kecamatan_summary", noting)
    before = session.execute(setting).scalar()
    day = datetime(2025, 8, 27, tzinfo=timezone.utc)
    dashboard.dashboard_figures(session, day, day, day.replace(hour=23), None, 1, None)
    dashboard.kecamatan_dashboard_figures(session, day, day, day.replace(hour=23), [1], 1, None)
    assert seen == ["0", "0"]
    assert session.execute(setting).scalar() == before != "0"
