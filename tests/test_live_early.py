"""An open field page's check answered before the account is read (siaga/live.py, `answer_unchanged_early`):
one statement reads the page's data versions and whether the cookie's login still holds
(`siaga.auth.LOGIN_HOLDS`); the login's end, in any of its ways, and another user's tag are never a 304."""
import time

import pytest
from sqlalchemy import event, select

from logistics.models import User
from logistics.services.accounts import deactivate_user, revoke_sessions
from logistics.services.field_accounts import reset_pin
from logistics.services.tps_status import report_officers_present
from siaga.live import live_page
from tests.field_client import log_in_as


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


def officer_page(client, session) -> tuple[User, str, str]:
    user = log_in_as(client, session, "petugas")
    url = f"/lapangan/tps/{user.tps_id}"
    first = client.get(url)
    assert first.status_code == 200
    return user, url, first.headers["ETag"]


def test_the_check_is_one_statement_without_loading_the_account(client, session):
    _user, url, tag = officer_page(client, session)
    with statements(session) as sent:
        answer = poll(client, url, tag)
    assert answer.status_code == 304 and answer.get_data() == b""
    reads = [s for s in sent if s.upper().startswith("SELECT")]
    assert len(reads) == 1, sent
    assert "data_version" in reads[0] and "app_user" in reads[0] and "UNION ALL" in reads[0]
    # The full way (the account read, then the versions) is two reads: a page not declared early, the route.
    log_in_as(client, session, "kurir")
    route = client.get("/lapangan/rute")
    assert route.status_code == 200
    with statements(session) as sent:
        assert poll(client, "/lapangan/rute", route.headers["ETag"]).status_code == 304
    assert len([s for s in sent if s.upper().startswith("SELECT")]) == 2, sent


def test_the_deliveries_page_and_the_station_page_are_checked_early_too(client, session):
    user = log_in_as(client, session, "petugas")
    medic = session.scalar(select(User).where(User.username == "medis"))
    for username, url in (("petugas", f"/lapangan/tps/{user.tps_id}/kiriman"),
                          ("medis", f"/lapangan/pos/{medic.medic_station_id}")):
        log_in_as(client, session, username)
        tag = client.get(url).headers["ETag"]
        with statements(session) as sent:
            assert poll(client, url, tag).status_code == 304
        assert len([s for s in sent if s.upper().startswith("SELECT")]) == 1, (url, sent)


@pytest.mark.parametrize("end", ["revoked", "deactivated", "pin_reset"])
def test_a_login_that_ended_gets_no_304_for_its_old_tag(client, session, actor_for, end):
    """The cookie still claims the old session version: the early check finds the login no longer holds
    and the full way refuses it (to the login page, or to replace the new PIN first)."""
    user, url, tag = officer_page(client, session)
    admin = actor_for("admin")
    {"revoked": lambda: revoke_sessions(session, admin, user.id),
     "deactivated": lambda: deactivate_user(session, admin, user.id),
     "pin_reset": lambda: reset_pin(session, admin, user.id)}[end]()
    answer = poll(client, url, tag)
    assert answer.status_code in (302, 303), answer.status_code
    assert "/login" in answer.headers["Location"]


@pytest.mark.parametrize("change, goes_to", [({"must_change_password": True}, "/akun/sandi-baru"),
                                              ({"active": False}, "/login")])
def test_an_account_change_is_no_304_even_at_the_same_session_version(client, session, change, goes_to):
    """A PIN to replace, or the account switched off, without a new session version (by hand here; the
    services always end the sessions with them): the page is not served, so its check is not answered."""
    user, url, tag = officer_page(client, session)
    for name, value in change.items():
        setattr(user, name, value)
    session.flush()
    answer = poll(client, url, tag)
    assert answer.status_code in (302, 303) and goes_to in answer.headers["Location"]


def test_an_expired_login_gets_no_304(client, session, app):
    _user, url, tag = officer_page(client, session)
    with client.session_transaction() as cookie:
        cookie["logged_in_at"] = int(time.time() - app.permanent_session_lifetime.total_seconds() - 1)
    answer = poll(client, url, tag)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_another_users_tag_is_not_theirs(client, session):
    """The tag is keyed with the user's id: a coordinator who may see the same page gets the page, not a
    304, for the officer's tag (a 304 would tell them nothing, but it is not theirs to be given)."""
    _user, url, tag = officer_page(client, session)
    log_in_as(client, session, "koordinator")
    answer = poll(client, url, tag)
    assert answer.status_code == 200 and answer.headers["ETag"] != tag


def test_a_change_is_the_full_page(client, session, actor_for):
    user, url, tag = officer_page(client, session)
    report_officers_present(session, actor_for("petugas"), user.tps_id, 6)
    answer = poll(client, url, tag)
    assert answer.status_code == 200 and answer.headers["ETag"] != tag
    assert poll(client, url, answer.headers["ETag"]).status_code == 304


def test_the_access_log_names_the_role_of_an_early_answer(client, session, access_lines):
    _user, url, tag = officer_page(client, session)
    assert poll(client, url, tag).status_code == 304
    assert (access_lines[-1]["status"], access_lines[-1]["role"]) == (304, "field_officer")


def test_a_page_tagged_by_more_than_its_versions_cannot_be_checked_early():
    with pytest.raises(ValueError):
        live_page(lambda: (), by_minute=True, names_from_address=True)


def test_on_the_engine_the_check_is_a_lone_read(app):
    """Served as in production (the app's own engine, not the tests' one connection): on PostgreSQL the
    check's one statement runs outside any transaction (autocommit: no BEGIN, no ROLLBACK: one round trip);
    on SQLite in the request's deferred transaction. A tag that differs still goes the full way."""
    from siaga.auth import new_session_values
    from siaga.extensions import db

    client = app.test_client()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "petugas"))
        values, url = new_session_values(user), f"/lapangan/tps/{user.tps_id}"
        engine = db.engine
        db.session.remove()
    with client.session_transaction() as cookie:
        cookie.update(values)
    first = client.get(url)
    assert first.status_code == 200
    seen: list[tuple[str, bool]] = []

    def note(conn, _cursor, statement, *_args):
        seen.append((" ".join(statement.split()), bool(getattr(conn.connection.dbapi_connection, "autocommit", False))))

    event.listen(engine, "before_cursor_execute", note)
    try:
        assert poll(client, url, first.headers["ETag"]).status_code == 304
        reads = [(s, autocommit) for s, autocommit in seen if s.upper().startswith("SELECT")]
        assert len(reads) == 1 and "UNION ALL" in reads[0][0], seen
        assert reads[0][1] is (engine.dialect.name == "postgresql"), seen
        seen.clear()
        assert poll(client, url, '"another"').status_code == 200
        assert any("app_user" in s and "UNION ALL" not in s for s, _a in seen)  # the full way: the account read
    finally:
        event.remove(engine, "before_cursor_execute", note)
