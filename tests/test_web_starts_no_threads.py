"""Web workers start no threads: background work belongs to the worker role (siaga/worker/).

A thread in a gunicorn worker does not survive a fork, holds SQLite's write lock at random moments and
runs once per process on every app server; so the app is made as gunicorn makes it (`import wsgi`), with
the production modes that have background work (figures shared and refreshed, the map grid refreshed),
and serves the requests that lead to it.
"""
from __future__ import annotations

import importlib
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from logistics.models import FigureSnapshot, Tps, TpsStatus, User
from siaga import shared_figures
from siaga.auth import new_session_values
from siaga.extensions import db
from tests.field_client import log_in_as, post_form

CITY = "105.9,-2.4,106.4,-1.9"


def new_threads(before: set[int]) -> list[str]:
    return [t.name for t in threading.enumerate() if t.ident not in before]


@pytest.fixture()
def web(app, database_url, monkeypatch):
    """`wsgi.app` made afresh, as gunicorn makes it, with sharing and the background grid refresh on; and the
    threads alive before it was."""
    before = {t.ident for t in threading.enumerate()}
    for name, value in {"DATABASE_URL": database_url, "FIGURES_SHARE_S": "15", "MAP_GRID_REFRESH": "background",
                        "MAP_GRID_REFRESH_S": "1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "wsgi", raising=False)
    web_app = importlib.import_module("wsgi").app
    assert web_app.config["FIGURES_SHARE_S"] == 15 and web_app.config["MAP_GRID_REFRESH"] == "background"
    assert new_threads(before) == []  # none at import
    yield web_app, before
    with web_app.app_context():
        shared_figures.forget()
        db.session.remove()
        db.engine.dispose()


def logged_in(web_app, username: str):
    client = web_app.test_client()
    with web_app.app_context():
        values = new_session_values(db.session.scalar(select(User).where(User.username == username)))
        db.session.remove()
    with client.session_transaction() as s:
        s.update(values)
    return client


def test_pages_and_stale_figures_start_no_thread(web):
    """Figures are stored, then found stale (the worker, not the request, computes them again)."""
    web_app, before = web
    coordinator = logged_in(web_app, "koordinator")
    pages = ["/dashboard", "/dashboard?kecamatan=1", "/api/v1/summary?limit=3", "/metrics", "/map",
             f"/map/data/tps.geojson?bbox={CITY}&zoom=8", f"/map/data/tps.geojson?bbox={CITY}&zoom=14",
             "/map/data/incidents.geojson?bbox=" + CITY, "/map/data/stations.geojson?bbox=" + CITY]
    for _ in range(2):
        for path in pages:
            assert coordinator.get(path).status_code == 200, path
        with web_app.app_context(), db.engine.begin() as connection:
            stored = connection.execute(update(FigureSnapshot.__table__).values(
                computed_at=datetime.now(timezone.utc) - timedelta(seconds=60))).rowcount
        assert stored >= 4  # dashboard (two scopes), summary (page and city), metrics
    officer = logged_in(web_app, "petugas")
    assert officer.get("/", follow_redirects=True).status_code == 200  # the officer's home
    assert new_threads(before) == []


def test_posts_and_a_map_behind_the_data_start_no_thread(web, session):
    """A change to TPS and a zoomed-out map that finds its counts behind (where a refresh could be tempting
    to start in the background), and an officer's posts."""
    web_app, before = web
    coordinator = web_app.test_client()
    log_in_as(coordinator, session, "koordinator")
    officer = web_app.test_client()
    user = log_in_as(officer, session, "petugas")
    assert coordinator.get(f"/map/data/tps.geojson?bbox={CITY}&zoom=8").status_code == 200
    assert post_form(officer, f"/lapangan/tps/{user.tps_id}/status", {"to_status": "open"}).status_code == 303
    assert session.get(Tps, user.tps_id).status == TpsStatus.OPEN
    assert coordinator.get(f"/map/data/tps.geojson?bbox={CITY}&zoom=8").status_code == 200
    assert officer.get(f"/lapangan/tps/{user.tps_id}").status_code == 200
    response = post_form(officer, f"/lapangan/tps/{user.tps_id}/petugas", {"officers_present": "6"}, json=True)
    assert response.status_code == 200
    assert new_threads(before) == []
