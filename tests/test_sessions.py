"""Browser sessions: 30 hours from login at most, and every copy of a session cookie ends with logout,
a password change, deactivation or an admin's revoke (the per-user session version)."""
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from logistics.actor import Actor
from logistics.errors import PermissionDenied, ValidationFailed
from logistics.models import AuditEntry, User
from logistics.services import accounts
from siaga.auth import SESSION_HEADER
from tests.conftest import DEMO_PASSWORD
from tests.test_auth import csrf_token, login

NEW_PASSWORD = "sandi-baru-yang-panjang"


def user_named(session, username) -> User:
    return session.scalar(select(User).where(User.username == username))


def copy_of_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(client, cookie: str, path: str = "/dashboard"):
    """A request carrying a copied session cookie (e.g. taken from a phone or a proxy log)."""
    client.set_cookie("session", cookie)
    return client.get(path)


def assert_logged_out(response):
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.fixture()
def coordinator_cookie(client):
    assert login(client, "koordinator").status_code == 302
    assert client.get("/dashboard").status_code == 200
    return copy_of_cookie(client)


def test_session_lifetime_is_30_hours_and_the_cookie_says_so(app, client):
    assert app.permanent_session_lifetime == timedelta(hours=30)
    response = login(client, "koordinator")
    expires = parsedate_to_datetime(response.headers["Set-Cookie"].split("Expires=")[1].split(";")[0])
    left = expires - datetime.now(timezone.utc)
    assert timedelta(hours=29, minutes=59) < left <= timedelta(hours=30)


def test_a_login_older_than_30_hours_is_over_even_with_a_fresh_cookie(client, session):
    login(client, "koordinator")
    with client.session_transaction() as s:  # re-signed now: only the server-side check can refuse it
        s["logged_in_at"] = int(time.time()) - 30 * 3600 - 5
    assert_logged_out(client.get("/dashboard"))
    with client.session_transaction() as s:
        assert "user_id" not in s


def test_a_login_29_hours_old_still_works(client):
    login(client, "koordinator")
    with client.session_transaction() as s:
        s["logged_in_at"] = int(time.time()) - 29 * 3600
    assert client.get("/dashboard").status_code == 200


@pytest.mark.parametrize("damage", [{"session_version": None}, {"logged_in_at": None}, {"logged_in_at": "x"},
                                    {"user_id": "1"}])
def test_a_session_missing_its_checks_is_refused(client, damage):
    login(client, "koordinator")
    with client.session_transaction() as s:
        for key, value in damage.items():
            if value is None:
                del s[key]
            else:
                s[key] = value
    assert_logged_out(client.get("/dashboard"))


def test_a_copied_cookie_is_useless_after_logout(client, coordinator_cookie):
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")}).status_code == 302
    assert_logged_out(replay(client, coordinator_cookie))
    api = client.get("/api/v1/tps", headers={"Accept": "application/json"})
    assert api.status_code == 401


def test_logout_ends_the_users_sessions_on_other_browsers_too(app, client):
    other = app.test_client()
    login(other, "koordinator")
    login(client, "koordinator")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    assert_logged_out(other.get("/dashboard"))


def test_a_copied_cookie_is_useless_after_a_password_change(client, session, coordinator_cookie):
    user = user_named(session, "koordinator")
    accounts.change_password(session, Actor.from_user(user), user.id, DEMO_PASSWORD, NEW_PASSWORD)
    assert_logged_out(replay(client, coordinator_cookie))
    assert login(client, "koordinator", NEW_PASSWORD).status_code == 302


def test_a_copied_cookie_is_useless_after_deactivation(client, session, coordinator_cookie):
    accounts.deactivate_user(session, Actor.system("test"), user_named(session, "koordinator").id)
    assert_logged_out(replay(client, coordinator_cookie))
    assert login(client, "koordinator").status_code == 400  # and no new login


def test_a_copied_cookie_is_useless_after_an_admin_revokes_the_sessions(client, session, coordinator_cookie):
    accounts.revoke_sessions(session, Actor.system("test"), user_named(session, "koordinator").id)
    assert_logged_out(replay(client, coordinator_cookie))


def test_a_reactivated_user_logs_in_again_but_old_cookies_stay_dead(client, session, coordinator_cookie):
    user = user_named(session, "koordinator")
    accounts.deactivate_user(session, Actor.system("test"), user.id)
    accounts.reactivate_user(session, Actor.system("test"), user.id)
    assert_logged_out(replay(client, coordinator_cookie))
    assert login(client, "koordinator").status_code == 302


def test_api_tokens_of_a_deactivated_user_stop(client, session):
    user = user_named(session, "petugas")
    _token, secret = accounts_token(session, user)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/tps", headers=headers).status_code == 200
    accounts.deactivate_user(session, Actor.system("test"), user.id)
    assert client.get("/api/v1/tps", headers=headers).status_code == 401


def accounts_token(session, user):
    from logistics.services.api_tokens import create_token

    return create_token(session, Actor.system("test"), scopes="read:tps", username=user.username)


@pytest.mark.parametrize("change, action", [
    (lambda s, u: accounts.deactivate_user(s, Actor.system("test"), u.id), "user.deactivated"),
    (lambda s, u: accounts.reactivate_user(s, Actor.system("test"), u.id), "user.reactivated"),
    (lambda s, u: accounts.revoke_sessions(s, Actor.system("test"), u.id), "user.sessions_revoked"),
    (lambda s, u: accounts.set_password(s, Actor.system("test"), u.id, NEW_PASSWORD), "user.password_set"),
    (lambda s, u: accounts.change_password(s, Actor.from_user(u), u.id, DEMO_PASSWORD, NEW_PASSWORD),
     "user.password_changed"),
    (lambda s, u: accounts.log_out(s, Actor.from_user(u)), "user.logged_out"),
])
def test_each_account_change_is_audited_bumps_the_version_and_never_records_the_hash(session, change, action):
    user = user_named(session, "medis")
    version = user.session_version
    change(session, user)
    assert user.session_version == version + 1
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "app_user",
                                                     AuditEntry.entity_id == user.id)
                            .order_by(AuditEntry.id.desc())).first()
    assert entry.action == action
    assert entry.after["session_version"] == version + 1 and entry.before["session_version"] == version
    assert "password_hash" not in entry.after and "password_hash" not in entry.before


@pytest.mark.parametrize("service", [accounts.deactivate_user, accounts.reactivate_user, accounts.revoke_sessions])
def test_only_admins_manage_other_accounts(session, service, actor_for):
    with pytest.raises(PermissionDenied):
        service(session, actor_for("koordinator"), user_named(session, "petugas").id)


def test_set_password_is_for_admins(session, actor_for):
    with pytest.raises(PermissionDenied):
        accounts.set_password(session, actor_for("koordinator"), user_named(session, "petugas").id, NEW_PASSWORD)


def test_a_user_changes_only_their_own_password_and_needs_the_old_one(session, actor_for):
    petugas = user_named(session, "petugas")
    with pytest.raises(PermissionDenied):
        accounts.change_password(session, actor_for("koordinator"), petugas.id, DEMO_PASSWORD, NEW_PASSWORD)
    with pytest.raises(ValidationFailed) as wrong:
        accounts.change_password(session, actor_for("petugas"), petugas.id, "salah", NEW_PASSWORD)
    assert "old_password" in wrong.value.fields


@pytest.mark.parametrize("new_password", ["pendek", "x" * 129, "petugas", "PETUGAS"])
def test_weak_new_passwords_are_refused(session, actor_for, new_password):
    petugas = user_named(session, "petugas")
    with pytest.raises(ValidationFailed) as refused:
        accounts.change_password(session, actor_for("petugas"), petugas.id, DEMO_PASSWORD, new_password)
    assert "new_password" in refused.value.fields


def test_the_dummy_hash_costs_what_a_real_one_does():
    """Unknown usernames are checked against it: same method and parameters as real hashes."""
    method = accounts._DUMMY_HASH.split("$")[0]
    assert method == accounts.hash_password("x").split("$")[0] == generate_password_hash("x").split("$")[0]


# The password-change page --------------------------------------------------------------------------

def change_form(client, old=DEMO_PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post("/akun/sandi", data={"csrf_token": csrf_token(client, "/akun/sandi"), "old_password": old,
                                            "new_password": new, "new_password_again": new if again is None else again})


def test_password_page_is_bahasa_first_and_english_when_switched(client):
    login(client, "petugas")
    assert "Kata sandi lama" in client.get("/akun/sandi").get_data(as_text=True)
    client.get("/bahasa/en")
    assert "Current password" in client.get("/akun/sandi").get_data(as_text=True)


def test_password_page_needs_a_login(client):
    assert_logged_out(client.get("/akun/sandi"))


def test_changing_the_password_keeps_this_browser_and_ends_the_others(app, client, session):
    other = app.test_client()
    login(other, "petugas")
    login(client, "petugas")
    response = change_form(client)
    assert response.status_code == 303
    home = client.get(response.headers["Location"], follow_redirects=True)
    assert home.status_code == 200 and home.request.path.startswith("/lapangan/tps/")  # still logged in here
    assert "Kata sandi diganti" in home.get_data(as_text=True)
    assert_logged_out(other.get("/lapangan/tps"))
    assert login(app.test_client(), "petugas", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("old, new, again, field, message", [
    ("salah", NEW_PASSWORD, None, "old_password", "Kata sandi lama salah."),
    (DEMO_PASSWORD, "pendek", None, "new_password", "minimal 12 karakter"),
    (DEMO_PASSWORD, NEW_PASSWORD, "lain-lain-lain-lain", "new_password_again", "tidak sama"),
])
def test_password_page_shows_what_is_wrong_per_field(client, session, old, new, again, field, message):
    login(client, "petugas")
    version = user_named(session, "petugas").session_version
    response = change_form(client, old, new, again)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert user_named(session, "petugas").session_version == version  # nothing changed, nobody logged out


def test_guessing_the_old_password_on_the_page_is_throttled_too(client):
    login(client, "petugas")
    for _ in range(10):
        assert change_form(client, old="tebakan").status_code == 422
    response = change_form(client, old="tebakan")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


# The field service worker's cache key ----------------------------------------------------------------

def test_pages_of_a_logged_in_user_name_their_login_for_the_service_worker(client):
    assert SESSION_HEADER not in client.get("/login").headers
    assert 'data-session=""' in client.get("/login").get_data(as_text=True)
    login(client, "petugas")
    response = client.get("/lapangan/tps", follow_redirects=True)
    key = response.headers[SESSION_HEADER]
    sid, expires = key.rsplit(".", 1)
    with client.session_transaction() as s:
        assert sid == s["sid"] and int(expires) == s["logged_in_at"] + 30 * 3600
    assert f'data-session="{key}"' in response.get_data(as_text=True)


def test_each_login_has_its_own_service_worker_key(client):
    login(client, "petugas")
    first = client.get("/lapangan/tps", follow_redirects=True).headers[SESSION_HEADER]
    login(client, "petugas")
    assert client.get("/lapangan/tps", follow_redirects=True).headers[SESSION_HEADER] != first


# CLI --------------------------------------------------------------------------------------------------

def test_cli_deactivate_reactivate_revoke_and_set_password(app, session):
    runner = app.test_cli_runner()
    user = user_named(session, "kurir")
    version = user.session_version
    result = runner.invoke(args=["deactivate-user", "kurir"])
    assert result.exit_code == 0, result.output
    assert user.active is False
    assert runner.invoke(args=["reactivate-user", "kurir"]).exit_code == 0 and user.active is True
    assert runner.invoke(args=["revoke-sessions", "kurir"]).exit_code == 0
    result = runner.invoke(args=["set-password", "kurir"], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert accounts.authenticate(session, "kurir", NEW_PASSWORD) is user
    assert user.session_version == version + 4


def test_cli_refuses_unknown_users_and_short_passwords_without_a_traceback(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deactivate-user", "tidak-ada"])
    assert result.exit_code == 2 and "unknown user" in result.output
    result = runner.invoke(args=["set-password", "kurir", "--password", "pendek"])
    assert result.exit_code == 2 and "minimal 12 karakter" in result.output


def test_the_cookie_is_not_sent_again_on_every_response(client):
    login(client, "koordinator")
    client.get("/dashboard")  # the page's form token is stored once
    assert "Set-Cookie" not in client.get("/dashboard").headers
    assert "Set-Cookie" not in client.get("/static/css/base.css").headers
