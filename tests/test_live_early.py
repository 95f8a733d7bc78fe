"""An open field page's check answered before Flask's request (siaga/live.py, `EarlyCheck`, a WSGI middleware):
one statement reads the page's data versions and whether the cookie's login still holds
(`siaga.auth.LOGIN_HOLDS`); the login's end, in any of its ways, and another user's tag are never a 304. Each
case says which way answered: Flask's request handling (its `request_started` signal) or the early check."""
import time
from contextlib import contextmanager

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import event, select

from logistics.models import User
from logistics.services.accounts import deactivate_user, revoke_sessions
from logistics.services.field_accounts import reset_pin
from logistics.services.tps_status import report_officers_present
from siaga.live import live_page
from tests.field_client import log_in_as


@contextmanager
def connections_running(engine, marker: str):
    """The DBAPI connections on which `engine` sent a statement containing `marker` while the block runs."""
    used: list = []

    def note(conn, _cursor, statement, *_args):
        if marker in statement:
            used.append(conn.connection.dbapi_connection)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield used
    finally:
        event.remove(engine, "before_cursor_execute", note)


def prepared_on(dbapi_connection) -> list[str]:
    """What PostgreSQL has prepared on this pooled connection (asked on it, then its transaction ended)."""
    try:
        return [s for (s,) in dbapi_connection.execute("SELECT statement FROM pg_prepared_statements").fetchall()]
    finally:
        dbapi_connection.rollback()


def statements(session):
    """The statements sent on the test's connection while the `with` block runs."""
    sent: list[str] = []
    connection = session.connection()

    def note(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split()))

    class Watch:
        def __enter__(self):
            event.listen(connection, "before_cursor_execute", note)
            return sent

        def __exit__(self, *_exc):
            event.remove(connection, "before_cursor_execute", note)

    return Watch()


def poll(client, url: str, tag: str):
    return client.get(url, headers={"If-None-Match": tag, "Accept": "text/html"})


def early_reads(sent: list[str]) -> list[str]:
    """The early check's statement among those sent (the versions and the login: a UNION ALL)."""
    return [s for s in sent if s.upper().startswith("SELECT") and "UNION ALL" in s]


def officer_page(client, session) -> tuple[User, str, str]:
    user = log_in_as(client, session, "petugas")
    url = f"/lapangan/tps/{user.tps_id}"
    first = client.get(url)
    assert first.status_code == 200
    return user, url, first.headers["ETag"]


def test_the_check_is_one_statement_without_loading_the_account(client, session, by_flask):
    _user, url, tag = officer_page(client, session)
    by_flask.clear()
    with statements(session) as sent:
        answer = poll(client, url, tag)
    assert answer.status_code == 304 and answer.get_data() == b""
    assert by_flask == []  # answered before Flask's request
    reads = [s for s in sent if s.upper().startswith("SELECT")]
    assert len(reads) == 1, sent
    assert "data_version" in reads[0] and "app_user" in reads[0] and "UNION ALL" in reads[0]
    # The full way (the account read, then the versions) is two reads: a page not declared early, the route.
    log_in_as(client, session, "kurir")
    route = client.get("/lapangan/rute")
    assert route.status_code == 200
    by_flask.clear()
    with statements(session) as sent:
        assert poll(client, "/lapangan/rute", route.headers["ETag"]).status_code == 304
    assert len([s for s in sent if s.upper().startswith("SELECT")]) == 2, sent
    assert by_flask == ["/lapangan/rute"] and early_reads(sent) == []


def test_the_deliveries_page_and_the_station_page_are_checked_early_too(client, session, by_flask):
    user = log_in_as(client, session, "petugas")
    medic = session.scalar(select(User).where(User.username == "medis"))
    for username, url in (("petugas", f"/lapangan/tps/{user.tps_id}/kiriman"),
                          ("medis", f"/lapangan/pos/{medic.medic_station_id}")):
        log_in_as(client, session, username)
        tag = client.get(url).headers["ETag"]
        by_flask.clear()
        with statements(session) as sent:
            assert poll(client, url, tag).status_code == 304
        assert len([s for s in sent if s.upper().startswith("SELECT")]) == 1, (url, sent)
        assert by_flask == [], url


@pytest.mark.parametrize("end", ["revoked", "deactivated", "pin_reset"])
def test_a_login_that_ended_gets_no_304_for_its_old_tag(client, session, actor_for, end, by_flask):
    """The cookie still claims the old session version: the early check finds the login no longer holds
    and the full way refuses it (to the login page, or to replace the new PIN first)."""
    user, url, tag = officer_page(client, session)
    admin = actor_for("admin")
    {"revoked": lambda: revoke_sessions(session, admin, user.id),
     "deactivated": lambda: deactivate_user(session, admin, user.id),
     "pin_reset": lambda: reset_pin(session, admin, user.id)}[end]()
    by_flask.clear()
    with statements(session) as sent:
        answer = poll(client, url, tag)
    assert answer.status_code in (302, 303), answer.status_code
    assert "/login" in answer.headers["Location"]
    assert len(early_reads(sent)) == 1 and by_flask == [url]  # the early check looked, then went to Flask


@pytest.mark.parametrize("change, goes_to", [({"must_change_password": True}, "/akun/sandi-baru"),
                                              ({"active": False}, "/login")])
def test_an_account_change_is_no_304_even_at_the_same_session_version(client, session, change, goes_to,
                                                                      by_flask):
    """A PIN to replace, or the account switched off, without a new session version (by hand here; the
    services always end the sessions with them): the page is not served, so its check is not answered."""
    user, url, tag = officer_page(client, session)
    for name, value in change.items():
        setattr(user, name, value)
    session.flush()
    by_flask.clear()
    with statements(session) as sent:
        answer = poll(client, url, tag)
    assert answer.status_code in (302, 303) and goes_to in answer.headers["Location"]
    assert len(early_reads(sent)) == 1 and by_flask == [url]


def test_an_expired_login_gets_no_304(client, session, app, by_flask):
    _user, url, tag = officer_page(client, session)
    with client.session_transaction() as cookie:
        cookie["logged_in_at"] = int(time.time() - app.permanent_session_lifetime.total_seconds() - 1)
    by_flask.clear()
    with statements(session) as sent:
        answer = poll(client, url, tag)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert early_reads(sent) == [] and by_flask == [url]  # no login claimed: nothing to read early


def test_another_users_tag_is_not_theirs(client, session, by_flask):
    """The tag is keyed with the user's id: a coordinator who may see the same page gets the page, not a
    304, for the officer's tag (a 304 would tell them nothing, but it is not theirs to be given)."""
    _user, url, tag = officer_page(client, session)
    log_in_as(client, session, "koordinator")
    by_flask.clear()
    with statements(session) as sent:
        answer = poll(client, url, tag)
    assert answer.status_code == 200 and answer.headers["ETag"] != tag
    assert len(early_reads(sent)) == 1 and by_flask == [url]


def test_a_change_is_the_full_page(client, session, actor_for, by_flask):
    user, url, tag = officer_page(client, session)
    report_officers_present(session, actor_for("petugas"), user.tps_id, 6)
    by_flask.clear()
    answer = poll(client, url, tag)
    assert answer.status_code == 200 and answer.headers["ETag"] != tag and by_flask == [url]
    assert poll(client, url, answer.headers["ETag"]).status_code == 304 and by_flask == [url]


def test_the_access_log_names_the_role_of_an_early_answer(client, session, access_lines, by_flask):
    _user, url, tag = officer_page(client, session)
    by_flask.clear()
    assert poll(client, url, tag).status_code == 304 and by_flask == []
    assert (access_lines[-1]["status"], access_lines[-1]["role"]) == (304, "field_officer")


def flask_only(app, monkeypatch):
    """Serve the next requests by the WSGI callable the early check wraps: Flask's, the full way only."""
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app.wsgi_app)


def early_and_full_304(app, client, url: str, tag: str, endpoint: str, access_lines, by_flask, monkeypatch):
    """The poll of `url` with `tag` answered 304 both ways, the early check's then Flask's (production settings),
    each counted once under `endpoint` and logged with the same fields; (early, full, early's access line)."""
    monkeypatch.setitem(app.config, "SIAGA_ENV", "production")
    counted = {"endpoint": endpoint, "method": "GET", "status": "304"}

    def answer_and_count():
        before = REGISTRY.get_sample_value("siaga_http_requests_total", counted) or 0.0
        answer = poll(client, url, tag)
        assert answer.status_code == 304
        return answer, REGISTRY.get_sample_value("siaga_http_requests_total", counted) - before, access_lines[-1]

    by_flask.clear()
    early, early_counted, early_line = answer_and_count()
    assert by_flask == []
    with monkeypatch.context() as patch:
        flask_only(app, patch)
        full, full_counted, full_line = answer_and_count()
    assert by_flask == [url.split("?")[0]]
    assert early.headers["ETag"] == full.headers["ETag"] == tag and early_counted == full_counted == 1
    assert sorted(early.headers.keys()) == sorted(full.headers.keys()), (early.headers, full.headers)
    for name in ("Cache-Control", "Vary", "Strict-Transport-Security"):
        assert early.headers.get(name) == full.headers.get(name), name
    assert "Set-Cookie" not in early.headers
    same = ("role", "method", "endpoint", "route", "status")
    assert [early_line[k] for k in same] == [full_line[k] for k in same] and sorted(early_line) == sorted(full_line)
    return early, full, early_line


def test_the_early_304_is_the_full_ways_304(app, client, session, access_lines, by_flask, monkeypatch):
    """The same tag, headers, access line and metrics, whichever way answers (production: HSTS on both)."""
    _user, url, tag = officer_page(client, session)
    early, _full, early_line = early_and_full_304(app, client, url, tag, "field.tps_page", access_lines, by_flask,
                                                  monkeypatch)
    assert "Strict-Transport-Security" in early.headers and early.headers["Vary"] == "Cookie"
    assert early.headers["X-Request-ID"] == early_line["request_id"]
    asked = client.get(url, headers={"If-None-Match": tag, "X-Request-ID": "phone-1234567"})
    assert asked.status_code == 304 and asked.headers["X-Request-ID"] == "phone-1234567"


@pytest.mark.parametrize("chosen", ["cookie", "query"])
def test_a_page_in_english_is_checked_early_in_english(app, client, session, by_flask, monkeypatch, chosen):
    """The language is decided as Flask's request decides it (siaga.i18n.language_of): the tag of the page in
    English is the early check's too, and is not the Indonesian page's."""
    _user, url, tag_id = officer_page(client, session)
    if chosen == "cookie":
        client.set_cookie("lang", "en")
    else:
        url += "?lang=en"
    english = client.get(url)
    assert english.status_code == 200 and english.headers["ETag"] != tag_id
    by_flask.clear()
    assert poll(client, url, english.headers["ETag"]).status_code == 304 and by_flask == []
    assert poll(client, url, tag_id).status_code == 200 and by_flask == [url.split("?")[0]]


def test_an_election_browsed_goes_the_full_way(client, session, by_flask):
    """A browser session browsing a past election (admin/elections.py) sees other pages: not checked early."""
    _user, url, tag = officer_page(client, session)
    with client.session_transaction() as cookie:
        cookie["election_view"] = 1
    by_flask.clear()
    with statements(session) as sent:
        poll(client, url, tag)
    assert early_reads(sent) == [] and by_flask == [url]


def test_an_error_in_the_early_check_is_the_full_ways_to_answer(client, session, by_flask, monkeypatch):
    from siaga import live

    _user, url, tag = officer_page(client, session)

    def broken(*_args):
        raise RuntimeError("the early check failed")

    monkeypatch.setattr(live, "versions_and", broken)
    by_flask.clear()
    assert poll(client, url, tag).status_code == 304 and by_flask == [url]


def test_a_page_tagged_by_more_than_its_versions_cannot_be_checked_early():
    with pytest.raises(ValueError):
        live_page(lambda: (), by_minute=True, names_from_address=True)


def served_as_in_production(app):
    """A client logged in as `petugas` on the app's own engine (not the tests' one connection), its TPS page's
    address, the app's engine and the engine the early check reads on (PostgreSQL: the checks' own)."""
    from siaga.auth import new_session_values
    from siaga.extensions import db
    from siaga.live import _checks_engine

    client = app.test_client()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "petugas"))
        values, url = new_session_values(user), f"/lapangan/tps/{user.tps_id}"
        engine = db.engine
        db.session.remove()
    with client.session_transaction() as cookie:
        cookie.update(values)
    checks = _checks_engine(engine) if engine.dialect.name == "postgresql" else engine
    return client, url, engine, checks


def test_on_the_engine_the_check_is_a_lone_read(app):
    """Served as in production: on PostgreSQL the check's one statement runs outside any transaction
    (autocommit: no BEGIN, no ROLLBACK: one round trip) on a connection of its own pool; on SQLite in the
    request's deferred transaction. A tag that differs still goes the full way."""
    client, url, engine, checks = served_as_in_production(app)
    first = client.get(url)
    assert first.status_code == 200
    seen: list[tuple[str, bool, bool]] = []

    def note(conn, _cursor, statement, *_args):
        seen.append((" ".join(statement.split()), bool(getattr(conn.connection.dbapi_connection, "autocommit", False)),
                     conn.engine is checks))

    for watched in {engine, checks}:
        event.listen(watched, "before_cursor_execute", note)
    try:
        assert poll(client, url, first.headers["ETag"]).status_code == 304
        reads = [(s, autocommit, own) for s, autocommit, own in seen if s.upper().startswith("SELECT")]
        assert len(reads) == 1 and "UNION ALL" in reads[0][0], seen
        assert reads[0][1] is (engine.dialect.name == "postgresql"), seen
        assert reads[0][2], seen  # on the checks' engine (on SQLite: the app's, the request's connection)
        seen.clear()
        assert poll(client, url, '"another"').status_code == 200
        assert any("app_user" in s and "UNION ALL" not in s for s, _a, _o in seen)  # the full way: the account read
        # the full way's session on the app's pool (the early check's statement, which found another tag, on its own)
        assert not any(own for s, _a, own in seen if "UNION ALL" not in s) or engine is checks, seen
    finally:
        for watched in {engine, checks}:
            event.remove(watched, "before_cursor_execute", note)


def test_the_check_stays_prepared_between_the_full_ways_requests(app):
    """At the peak an open page's checks come between other requests of the same process, each ending its
    session with a ROLLBACK, at which psycopg forgets (and deallocates) what it prepared on that connection.
    On PostgreSQL the check has its own connection, so its statement, prepared at its sixth run (psycopg's
    threshold: five), is still prepared after a full page; on SQLite it reads in the request's transaction."""
    client, url, engine, checks = served_as_in_production(app)
    tag = client.get(url).headers["ETag"]
    for _ in range(6):
        assert poll(client, url, tag).status_code == 304
    assert client.get(url).status_code == 200  # the full way: its session ends with a ROLLBACK
    with connections_running(checks, "UNION ALL") as used:
        assert poll(client, url, tag).status_code == 304
    assert len(used) == 1
    if engine.dialect.name == "postgresql":  # asked on the check's own connection: what it has prepared
        prepared = prepared_on(used[0])
        assert [s for s in prepared if "UNION ALL" in s], prepared
    else:
        assert used[0] is not None  # the request's connection (sqlite3 keeps its own statement cache)
