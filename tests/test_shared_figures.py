"""Figures stored once for every process (siaga/shared_figures.py) and their JSON (siaga/figure_codec.py).

These tests commit to the test database (the snapshot table, through a connection of its own, as in
production) and empty that table afterwards; they do not use the rolled-back `session` fixture.
"""
from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from logistics.models import FigureSnapshot, Role, User
from logistics.queries.alerts import Alert
from logistics.texts import lazy_gettext, lazy_pgettext
from maps.dashboard import _figures
from siaga import create_app, figure_codec, shared_figures
from siaga.auth import new_session_values
from siaga.extensions import db

TABLE = FigureSnapshot.__table__


@pytest.fixture()
def sharing(app):
    """The test app with sharing on (15 s), and the snapshot table emptied before and after."""
    app.config["FIGURES_SHARE_S"] = 15
    with app.app_context():
        shared_figures.forget()
    yield app
    app.config.pop("FIGURES_SHARE_S")
    for thread in threading.enumerate():
        if thread.name == "shared-figures":
            thread.join(10)
    with app.app_context():
        shared_figures.forget()
        db.session.remove()


def coordinator_client(app):
    """A test client logged in as `koordinator`, outside the rolled-back `session` fixture."""
    with app.app_context():
        values = new_session_values(db.session.scalar(select(User).where(User.username == "koordinator")))
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as s:
        s.update(values)
    return client


def counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def test_the_dashboards_figures_come_back_from_json_as_they_were(app):
    with app.test_request_context("/"):
        figures = _figures(None, 5)
        again = figure_codec.loads(figure_codec.dumps(figures))
        assert again == figures
        assert figure_codec.dumps(again) == figure_codec.dumps(figures)
        db.session.remove()


def test_texts_stay_lazy_and_are_shown_in_the_readers_language(app):
    alert = Alert("meal_late", "high", datetime(2025, 8, 27, 5, tzinfo=timezone.utc),
                  lazy_gettext("Konsumsi terlambat"), kecamatan_id=3, refs={"delivery_id": 9})
    stored = figure_codec.dumps({"alerts": [alert], "word": lazy_pgettext("tps", "Selesai"),
                                 "day": date(2025, 8, 27), "row": (1, "a"), "roles": {Role.MEDIC: (3, 2, 1)}})
    back = figure_codec.loads(stored)
    with app.test_request_context("/"):
        with force_locale("id"):
            assert str(back["alerts"][0].message) == "Konsumsi terlambat"
        with force_locale("en"):
            assert str(back["alerts"][0].message) != "Konsumsi terlambat"
            assert str(back["alerts"][0].message) == str(alert.message)
    assert back["alerts"][0] == alert and back["alerts"][0].since.tzinfo is not None
    assert back["day"] == date(2025, 8, 27) and back["row"] == (1, "a")
    assert back["roles"][Role.MEDIC] == (3, 2, 1) and back["roles"].get("medic") == (3, 2, 1)


def test_a_type_the_codec_does_not_know_is_refused_when_stored():
    with pytest.raises(TypeError):
        figure_codec.dumps({"x": object()})
    with pytest.raises(ValueError):
        figure_codec.loads('{"$enum": ["os", "name", "posix"]}')  # never code named by the snapshot


def test_figures_computed_by_one_process_are_served_by_another(sharing, database_url):
    compute, calls = counting({"n": 1})
    with sharing.test_request_context("/"):
        assert shared_figures.shared(("view", 1), compute) == {"n": 1}
        db.session.remove()
    other = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "FIGURES_SHARE_S": 15})  # another worker
    with other.test_request_context("/"):
        compute_there, calls_there = counting({"n": 2})
        assert shared_figures.shared(("view", 1), compute_there) == {"n": 1}
        assert shared_figures.shared(("view", 2), compute_there) == {"n": 2}  # another scope: its own
        db.session.remove()
        db.engine.dispose()
    assert (len(calls), len(calls_there)) == (1, 1)


def test_stale_figures_are_served_at_once_while_one_process_refreshes_them(sharing):
    with sharing.test_request_context("/"):
        shared_figures.shared(("view",), lambda: {"n": 1})
        with db.engine.begin() as connection:  # computed a minute ago: stale, not too old
            connection.execute(update(TABLE).values(computed_at=datetime.now(timezone.utc) - timedelta(seconds=60)))
            seen = connection.execute(select(TABLE.c.key, TABLE.c.computed_at)).one()
        assert shared_figures._claim(seen.key, seen.computed_at)
        assert not shared_figures._claim(seen.key, seen.computed_at)  # one claimant, whatever the server
        with db.engine.begin() as connection:
            connection.execute(update(TABLE).values(refresh_claimed_until=None))
        db.session.remove()
    started = threading.Event()

    def slow_compute():
        started.set()
        return {"n": 2}

    with sharing.test_request_context("/"):
        assert shared_figures.shared(("view",), slow_compute) == {"n": 1}  # the old ones, at once
        db.session.remove()
    assert started.wait(10)
    for thread in threading.enumerate():
        if thread.name == "shared-figures":
            thread.join(10)
    with sharing.test_request_context("/"):
        assert shared_figures.shared(("view",), lambda: {"n": 3}) == {"n": 2}  # the refreshed ones
        db.session.remove()


def test_figures_nobody_asked_for_in_a_while_are_computed_in_the_request(sharing):
    with sharing.test_request_context("/"):
        shared_figures.shared(("view",), lambda: {"n": 1})
        with db.engine.begin() as connection:
            connection.execute(update(TABLE).values(computed_at=datetime.now(timezone.utc) - timedelta(hours=1)))
        assert shared_figures.shared(("view",), lambda: {"n": 2}) == {"n": 2}
        db.session.remove()


def test_the_dashboard_served_from_stored_figures_in_both_languages(sharing):
    client = coordinator_client(sharing)
    first = client.get("/dashboard")
    assert first.status_code == 200
    with sharing.app_context():
        assert db.session.scalar(select(TABLE.c.key).limit(1)) is not None  # stored
        db.session.remove()
    again = client.get("/dashboard")
    assert again.status_code == 200
    assert without_nonces(again.get_data(as_text=True)) == without_nonces(first.get_data(as_text=True))
    client.get("/bahasa/en")
    english = client.get("/dashboard").get_data(as_text=True)
    assert "Konsumsi terlambat" in first.get_data(as_text=True)  # the demo day has late meals
    assert "Konsumsi terlambat" not in english


def without_nonces(html: str) -> str:
    return re.sub(r'(nonce|value)="[^"]*"', "", html)


def test_the_summary_api_pages_from_stored_figures(sharing):
    client = coordinator_client(sharing)
    first = client.get("/api/v1/summary?limit=3")
    again = client.get("/api/v1/summary?limit=3")
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json() and first.get_json()["count"] == 3
    assert first.get_json()["next_cursor"] and 'rel="next"' in again.headers["Link"]
