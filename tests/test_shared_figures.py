"""Figures stored once for every process (siaga/shared_figures.py) and their JSON (siaga/figure_codec.py).

These tests commit to the test database (the snapshot table, through a connection of its own, as in
production) and empty that table afterwards; they do not use the rolled-back `session` fixture.
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select, update

from logistics.models import FigureSnapshot, Role, User
from logistics.queries.alerts import Alert
from logistics.texts import lazy_gettext, lazy_pgettext
from maps.dashboard import _figures
from siaga import create_app, figure_codec, shared_figures
from siaga.auth import new_session_values
from siaga.extensions import db
from siaga.worker import run_job

TABLE = FigureSnapshot.__table__


@pytest.fixture()
def sharing(app):
    """The test app with sharing on (15 s), and the snapshot table emptied before and after."""
    app.config["FIGURES_SHARE_S"] = 15
    with app.app_context():
        shared_figures.forget()
    yield app
    app.config.pop("FIGURES_SHARE_S")
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


CALLS: list[tuple] = []
ANSWER = {"n": 1}


@shared_figures.figure("test-view")
def view_figures(scope: int, day=None):
    """A registered figure whose answer the test sets, counting its computations."""
    CALLS.append((scope, day))
    return {"n": ANSWER["n"], "scope": scope}


@pytest.fixture()
def counting():
    CALLS.clear()
    ANSWER["n"] = 1
    return CALLS


def age_all(seconds: float) -> None:
    with db.engine.begin() as connection:
        connection.execute(update(TABLE).values(computed_at=datetime.now(timezone.utc) - timedelta(seconds=seconds)))
    db.session.rollback()  # the next read sees it, as the next request would


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


def test_figures_computed_by_one_process_are_served_by_another(sharing, database_url, counting):
    with sharing.test_request_context("/"):
        assert shared_figures.shared("test-view", scope=1) == {"n": 1, "scope": 1}
        db.session.remove()
    ANSWER["n"] = 2
    other = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "FIGURES_SHARE_S": 15})  # another worker
    with other.test_request_context("/"):
        assert shared_figures.shared("test-view", scope=1) == {"n": 1, "scope": 1}
        assert shared_figures.shared("test-view", scope=2) == {"n": 2, "scope": 2}  # another scope: its own
        db.session.remove()
        db.engine.dispose()
    assert counting == [(1, None), (2, None)]


@contextmanager
def snapshot_statements():
    """The statements that touch the snapshot table while the block runs (every connection of the engine)."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_rest):
        if "figure_snapshot" in statement:
            statements.append(" ".join(statement.split()[:2]))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


def test_a_fresh_stored_figure_costs_shared_one_statement_and_snapshot_its_body_only_when_asked(sharing, counting):
    with sharing.test_request_context("/"):
        shared_figures.shared("test-view", scope=1)  # computed and stored
        db.session.rollback()  # the next read sees it, as the next request would
        with snapshot_statements() as statements:
            assert shared_figures.shared("test-view", scope=1) == {"n": 1, "scope": 1}
        assert statements == ["SELECT figure_snapshot.computed_at,"], statements  # with its body, at once
        with snapshot_statements() as statements:
            served = shared_figures.snapshot("test-view", scope=1)
            assert len(statements) == 1, statements  # its identity: the computing time alone
            assert served.value == {"n": 1, "scope": 1}
            assert served.value == {"n": 1, "scope": 1}
        assert statements == ["SELECT figure_snapshot.computed_at", "SELECT figure_snapshot.body"], statements
        assert len(counting) == 1  # computed once, served from the store since
        db.session.remove()


def test_stale_figures_are_served_at_once_and_the_worker_computes_them_again(sharing, counting):
    day = date(2025, 8, 27)
    with sharing.test_request_context("/"):
        shared_figures.shared("test-view", scope=1, day=day)
        shared_figures.shared("test-view", scope=2, day=day)
        age_all(60)  # computed a minute ago: stale, not too old
        ANSWER["n"] = 2
        assert shared_figures.refresh_wanted() == 0  # nobody asked since: nothing computed
        assert shared_figures.shared("test-view", scope=1, day=day) == {"n": 1, "scope": 1}  # the old ones, at once
        assert shared_figures.shared("test-view", scope=1, day=day) == {"n": 1, "scope": 1}
        assert len(counting) == 2  # not computed by the requests
        db.session.rollback()  # a new transaction: see what the marks committed
        wanted = db.session.execute(select(TABLE.c.figure, TABLE.c.wanted_at).where(TABLE.c.wanted_at.is_not(None))).all()
        assert [w.figure for w in wanted] == ["test-view"]  # marked once for the worker
        db.session.remove()
    with sharing.app_context():  # the worker: no request
        assert shared_figures.refresh_wanted() == 1
        assert counting[-1] == (1, day)  # by name, with the reader's params (the date came back a date)
        assert shared_figures.refresh_wanted() == 0  # done: no longer wanted
        db.session.remove()
    with sharing.test_request_context("/"):
        assert shared_figures.shared("test-view", scope=1, day=day) == {"n": 2, "scope": 1}  # the refreshed ones
        assert shared_figures.shared("test-view", scope=2, day=day) == {"n": 1, "scope": 2}  # not asked: as it was
        db.session.remove()


def test_the_worker_job_refreshes_wanted_figures(sharing, counting):
    from siaga.worker import JOBS, jobs  # noqa: F401  (registers the jobs)

    refresh_job = next(j for j in JOBS if j.name == "refresh_wanted_figures")
    assert refresh_job.enabled(sharing)
    with sharing.test_request_context("/"):
        shared_figures.shared("test-view", scope=1)
        age_all(60)
        ANSWER["n"] = 3
        shared_figures.shared("test-view", scope=1)
        db.session.remove()
    assert run_job(sharing, refresh_job) == 1
    with sharing.test_request_context("/"):
        assert shared_figures.shared("test-view", scope=1)["n"] == 3
        db.session.remove()


def test_a_figure_no_longer_registered_is_dropped_not_computed(sharing, counting):
    with sharing.test_request_context("/"):
        shared_figures.shared("test-view", scope=1)
        with db.engine.begin() as connection:
            connection.execute(update(TABLE).values(figure="gone", wanted_at=datetime.now(timezone.utc)))
        db.session.rollback()
        assert shared_figures.refresh_wanted() == 0
        assert db.session.scalar(select(func.count()).select_from(TABLE)) == 0
        db.session.remove()


def test_figures_nobody_asked_for_in_a_while_are_computed_in_the_request(sharing, counting):
    """Also what happens with no worker (the e2e live server, an outage): the pages still work."""
    with sharing.test_request_context("/"):
        shared_figures.shared("test-view", scope=1)
        age_all(3600)
        ANSWER["n"] = 2
        assert shared_figures.shared("test-view", scope=1)["n"] == 2
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


PEAK = "2025-08-27T12:10:00+07:00"  # the election clock held still: the page's tag holds its minute


def dashboard_snapshot(app):
    with app.app_context():
        found = db.session.execute(select(TABLE.c.key, TABLE.c.computed_at, TABLE.c.body)
                                   .where(TABLE.c.figure == "dashboard")).one()
        db.session.remove()
    return found


def test_the_stored_dashboard_is_rendered_once_per_snapshot_and_polled_with_its_tag(sharing, monkeypatch):
    """The coordinators' refresh from an unchanged snapshot answers the same page without reading its figures
    again, and a poll with its tag is a 304; new figures stored (the worker's) are a new tag showing them."""
    monkeypatch.setitem(sharing.config, "ELECTION_CLOCK", PEAK)
    client = coordinator_client(sharing)
    first = client.get("/dashboard")
    tag = first.headers["ETag"]
    decoded = []
    loads = figure_codec.loads
    monkeypatch.setattr(figure_codec, "loads", lambda text: decoded.append(text) or loads(text))
    again = client.get("/dashboard")
    assert without_nonces(again.get_data(as_text=True)) == without_nonces(first.get_data(as_text=True))
    assert decoded == []  # neither read nor rendered again
    assert again.headers["ETag"] == tag
    assert client.get("/dashboard", headers={"If-None-Match": tag}).status_code == 304

    key, computed_at, body = dashboard_snapshot(sharing)
    figures = loads(body)
    assert f'data-label="TPS">{figures["totals"]["tps_total"]}<' in first.get_data(as_text=True)
    figures["totals"]["tps_total"] = 4242  # what the worker stores next
    with sharing.app_context():
        with db.engine.begin() as connection:
            connection.execute(update(TABLE).where(TABLE.c.key == key).values(
                body=figure_codec.dumps(figures), computed_at=computed_at + timedelta(seconds=20)))
        db.session.remove()
    fresh = client.get("/dashboard", headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag
    assert 'data-label="TPS">4242<' in fresh.get_data(as_text=True)
    assert len(decoded) == 1  # the new snapshot, read once


def test_a_poll_that_finds_the_snapshot_stale_asks_the_worker_and_the_next_shows_the_new_one(sharing, monkeypatch):
    """The page stays live: the poll that finds its figures older than the share time is still a 304 (they
    are what it shows) but marks them wanted; once the worker stored them again, the poll is a 200."""
    monkeypatch.setitem(sharing.config, "ELECTION_CLOCK", PEAK)
    client = coordinator_client(sharing)
    tag = client.get("/dashboard").headers["ETag"]
    real_now = shared_figures.utcnow
    # The whole city's figures are a wide scope's: stale after FIGURES_SHARE_WIDE_S (a kecamatan's after 15 s).
    stale_after = sharing.config.get("FIGURES_SHARE_WIDE_S", 120)
    monkeypatch.setattr(shared_figures, "utcnow", lambda: real_now() + timedelta(seconds=stale_after + 10))
    assert client.get("/dashboard", headers={"If-None-Match": tag}).status_code == 304
    with sharing.app_context():
        assert db.session.scalar(select(TABLE.c.wanted_at).where(TABLE.c.figure == "dashboard")) is not None
        db.session.remove()
    monkeypatch.setattr(shared_figures, "utcnow", real_now)
    with sharing.app_context():  # the worker
        assert shared_figures.refresh_wanted() == 1
        db.session.remove()
    fresh = client.get("/dashboard", headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag


PASSES: list[tuple[str, str, int]] = []  # (thread, figure, scope) of each computation
GROUPS = {1: "g", 2: "g", 3: "h", 4: "h"}  # the "test-pass" scopes computed together, one pass per group
HOLD = {"first": threading.Event(), "release": threading.Event()}


def _hold_the_first_of(thread: str) -> None:
    """The first pass computed on `thread` waits (its claims held) until the test releases it."""
    if threading.current_thread().name == thread and not HOLD["first"].is_set():
        HOLD["first"].set()
        HOLD["release"].wait(90)  # released after the other claimer's run; bounded if that one hangs


def _grouped(scope: int) -> list[tuple[dict, dict]]:
    PASSES.append((threading.current_thread().name, "test-pass", GROUPS[scope]))
    _hold_the_first_of("first")
    return [({"scope": other}, {"scope": other}) for other in sorted(GROUPS) if GROUPS[other] == GROUPS[scope]]


@shared_figures.figure("test-pass", together=_grouped, pass_of=lambda scope: GROUPS[scope])
def pass_figures(scope: int):
    raise AssertionError("computed with its group, never alone")


@shared_figures.figure("test-alone")
def alone_figures(scope: int):
    PASSES.append((threading.current_thread().name, "test-alone", scope))
    return {"scope": scope}


def test_worker_processes_share_the_wanted_figures_each_claimed_by_one_and_a_pass_run_by_one(sharing):
    """Two claimers on connections of their own (as two worker processes): the first holds the first pass it
    takes while the second runs; the second passes over the figure it claimed and over that pass's other
    figure (not claimed, but its pass is), and computes the other pass and what the first left. Each figure,
    and each pass, computed once; both took some."""
    if sharing.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("claims are PostgreSQL's (SQLite has one worker process: refresh_wanted without claim)")
    PASSES.clear()
    HOLD["first"].clear()
    HOLD["release"].clear()
    wanted = [("test-pass", scope) for scope in GROUPS] + [("test-alone", 5), ("test-alone", 6)]
    with sharing.test_request_context("/"):
        for name, scope in wanted:
            shared_figures.shared(name, scope=scope)
        db.session.remove()
    with sharing.app_context():
        with db.engine.begin() as connection:
            connection.execute(update(TABLE).values(computed_at=datetime.now(timezone.utc) - timedelta(seconds=60),
                                                    wanted_at=datetime.now(timezone.utc)))
        db.session.remove()
    PASSES.clear()
    results: dict[str, int] = {}

    def refresh():
        with sharing.app_context():
            results[threading.current_thread().name] = shared_figures.refresh_wanted(claim=True)
            db.session.remove()

    first = threading.Thread(target=refresh, name="first")
    first.start()
    try:
        assert HOLD["first"].wait(60), "the first claimer computed no pass"
        second = threading.Thread(target=refresh, name="second")
        second.start()
        second.join(60)
    finally:
        HOLD["release"].set()
        first.join(120)
    computed = Counter((figure, scope) for _thread, figure, scope in PASSES)
    assert computed == {("test-pass", "g"): 1, ("test-pass", "h"): 1, ("test-alone", 5): 1,
                        ("test-alone", 6): 1}, PASSES  # each once
    held = next(scope for thread, figure, scope in PASSES if thread == "first" and figure == "test-pass")
    other = ({"g", "h"} - {held}).pop()
    assert ("second", "test-pass", other) in PASSES, PASSES  # both took some: the second the other pass
    assert sum(results.values()) == 4, results
    with sharing.app_context():
        assert db.session.scalar(select(func.count()).select_from(TABLE)
                                 .where(TABLE.c.wanted_at >= TABLE.c.computed_at)) == 0  # none left wanted
        db.session.remove()
