"""Login throttling (per username and address, and per address; 429 with Retry-After; counted in the database,
so once for every worker and app server) and equal work for every username."""
import pytest

from logistics.services import accounts
from tests.conftest import DEMO_PASSWORD
from tests.test_auth import csrf_token, login

PER_USERNAME = 10  # siaga.login_throttle.DEFAULT_PER_USERNAME: "10 per 15 minutes"
PER_ADDRESS = 50


def login_from(client, address, username, password="salah"):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)},
                       environ_base={"REMOTE_ADDR": address})


def test_the_attempt_after_the_limit_gets_429_with_retry_after(client):
    for _ in range(PER_USERNAME):
        assert login(client, "koordinator", "salah").status_code == 400
    response = login(client, "koordinator", "salah")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "Terlalu banyak percobaan masuk yang gagal" in response.get_data(as_text=True)


def test_past_the_limit_even_the_right_password_is_refused_without_checking_it(client, monkeypatch):
    for _ in range(PER_USERNAME):
        login(client, "koordinator", "salah")
    checked = []
    monkeypatch.setattr(accounts, "check_password_hash", lambda *a: checked.append(a) or True)
    assert login(client, "koordinator", DEMO_PASSWORD).status_code == 429
    assert checked == []
    with client.session_transaction() as s:
        assert "user_id" not in s


def test_the_limit_is_per_username_whatever_its_case_or_spaces(client):
    for name in ["Koordinator", " koordinator", "KOORDINATOR "] * 4:
        login(client, name, "salah")
    assert login(client, "koordinator", "salah").status_code == 429
    assert login(client, "petugas").status_code == 302  # another user is not locked out


def test_the_message_is_english_when_switched(client):
    client.get("/bahasa/en")
    for _ in range(PER_USERNAME):
        login(client, "koordinator", "salah")
    assert "Too many failed login attempts" in login(client, "koordinator", "salah").get_data(as_text=True)


def test_the_limit_is_per_address_across_usernames(client):
    for i in range(PER_ADDRESS):
        assert login_from(client, "10.9.8.7", f"tebakan-{i}").status_code == 400
    response = login_from(client, "10.9.8.7", "koordinator", DEMO_PASSWORD)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert login_from(client, "10.9.8.8", "koordinator", DEMO_PASSWORD).status_code == 302


def test_successful_logins_do_not_count(client):
    for _ in range(PER_USERNAME + 2):
        assert login(client, "koordinator").status_code == 302


def test_limits_come_from_the_config(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_USERNAME", "2 per hour")
    login(client, "koordinator", "salah")
    login(client, "koordinator", "salah")
    response = login(client, "koordinator", "salah")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 15 * 60


def no_card_yet(session) -> str:
    """A field account the demo made without a card (its stored value is no hash)."""
    from sqlalchemy import select

    from logistics.models import User

    return session.scalar(select(User.username).where(User.must_change_password.is_(True),
                                                      User.pin_issued_at.is_(None)).limit(1))


def test_a_stranger_does_not_lock_the_officer_out(client):
    """Guesses from one address lock that address out for that username; the officer's own phone still gets in."""
    for _ in range(PER_USERNAME):
        assert login_from(client, "198.51.100.7", "koordinator").status_code == 400
    assert login_from(client, "198.51.100.7", "koordinator", DEMO_PASSWORD).status_code == 429
    assert login_from(client, "10.20.30.40", "koordinator", DEMO_PASSWORD).status_code == 302


def test_failed_logins_are_counted_once_for_two_app_servers_sharing_the_database(database_url):
    """Two app instances (as two servers, or two workers) on one database: a failure counted by one is seen by the
    other. Committed for real (not in a test's rolled-back transaction), under a username of its own."""
    import uuid

    from sqlalchemy import delete

    from logistics.models import LoginFailure
    from siaga import create_app
    from siaga.extensions import db

    config = {"SQLALCHEMY_DATABASE_URI": database_url, "LOGIN_LIMIT_PER_USERNAME": "3 per minute"}
    apps = [create_app(config) for _ in range(2)]
    one, two = (app.test_client() for app in apps)
    username = "tebakan-" + uuid.uuid4().hex[:12]
    try:
        assert [login_from(c, "10.1.2.3", username).status_code for c in (one, two, one)] == [400, 400, 400]
        assert login_from(two, "10.1.2.3", username).status_code == 429
    finally:
        for app in apps:
            with app.app_context():
                db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
                db.session.commit()
                db.engine.dispose()


def test_failures_are_rows_in_the_database_and_old_ones_go(client, session):
    from datetime import timedelta

    from sqlalchemy import func, select

    from logistics.models import LoginFailure
    from logistics.timeutil import utcnow

    session.add(LoginFailure(at=utcnow() - timedelta(hours=2), username="lama", address="10.0.0.9"))
    session.flush()
    login_from(client, "10.0.0.9", "koordinator")
    rows = session.execute(select(LoginFailure.username, LoginFailure.address)).all()
    assert ("koordinator", "10.0.0.9") in rows and ("lama", "10.0.0.9") not in rows
    assert session.scalar(select(func.count()).select_from(LoginFailure).where(LoginFailure.username == "koordinator")) == 1


@pytest.mark.parametrize("who", ["koordinator", "tidak-ada-orangnya", "no card yet"])
def test_known_unknown_and_cardless_usernames_all_run_one_password_hash(client, session, monkeypatch, who):
    """Equal work whatever the account's state (timing tells no username apart): one scrypt for each."""
    username = no_card_yet(session) if who == "no card yet" else who
    calls = []
    real = accounts.check_password_hash

    def spy(stored_hash, password):
        calls.append(stored_hash.split("$")[0])
        return real(stored_hash, password)

    monkeypatch.setattr(accounts, "check_password_hash", spy)
    assert login(client, username, "salah").status_code == 400
    assert calls == ["scrypt:32768:8:1"]
    assert login(client, username, "000000").status_code == 400  # a cardless account takes no PIN either
    assert calls == ["scrypt:32768:8:1"] * 2


def test_a_deactivated_user_costs_a_hash_too(session, monkeypatch):
    from sqlalchemy import select

    from logistics.actor import Actor
    from logistics.models import User

    user = session.scalar(select(User).where(User.username == "kurir"))
    accounts.deactivate_user(session, Actor.system("test"), user.id)
    calls = []
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append(h) or True)
    assert accounts.authenticate(session, "kurir", DEMO_PASSWORD) is None
    assert calls == [user.password_hash]


def test_an_unreachable_throttle_storage_does_not_stop_logins(client, monkeypatch):
    from siaga import login_throttle

    def broken():
        raise ConnectionError("redis down")

    monkeypatch.setitem(client.application.config, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(login_throttle, "_strategy", broken)
    assert login(client, "koordinator", "salah").status_code == 400
    assert login(client, "koordinator").status_code == 302


def test_behind_a_trusted_proxy_the_client_address_is_counted(monkeypatch, database_url):
    from siaga import create_app

    monkeypatch.setenv("SIAGA_ENV", "testing")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": 1,
                      "LOGIN_LIMIT_PER_ADDRESS": "2 per hour"})
    client = app.test_client()

    def attempt(client_address):
        return client.post("/login", data={"username": "tidak-ada", "password": "x", "csrf_token": csrf_token(client)},
                           headers={"X-Forwarded-For": client_address}, environ_base={"REMOTE_ADDR": "10.0.0.1"})

    assert [attempt("203.0.113.5").status_code for _ in range(3)] == [400, 400, 429]
    assert attempt("203.0.113.6").status_code == 400  # another phone behind the same proxy
    with app.app_context():
        from siaga.extensions import db

        db.engine.dispose()


def test_limits_are_read_from_the_environment_and_bad_ones_refused(monkeypatch, tmp_path):
    from siaga import create_app
    from siaga.config import ConfigError

    monkeypatch.setenv("SIAGA_ENV", "testing")
    monkeypatch.setenv("LOGIN_LIMIT_PER_USERNAME", "3 per hour")
    url = f"sqlite:///{tmp_path}/x.db"
    assert create_app({"SQLALCHEMY_DATABASE_URI": url}).config["LOGIN_LIMIT_PER_USERNAME"] == "3 per hour"
    monkeypatch.setenv("LOGIN_LIMIT_PER_ADDRESS", "lots")
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": url})


def test_failed_logins_are_counted_across_app_servers_through_redis(database_url, session):
    """Two app servers sharing Redis (RATELIMIT_STORAGE_URI) share the failed-login counts."""
    import os
    import uuid

    import redis

    from siaga import create_app

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": url,
              "LOGIN_LIMIT_PER_USERNAME": "2 per minute"}
    one, two = (create_app(config).test_client() for _ in range(2))
    username = "tebakan-" + uuid.uuid4().hex[:12]  # its own count, whatever else uses this Redis
    address = "10.%d.%d.%d" % tuple(uuid.uuid4().bytes[:3])
    assert login_from(one, address, username).status_code == 400
    assert login_from(two, address, username).status_code == 400
    assert login_from(one, address, username).status_code == 429


def test_a_guess_holding_a_nul_or_too_long_is_counted_not_a_500(client):
    """PostgreSQL refuses a NUL even in a query, and the counted name has its column's length: such guesses
    are wrong logins like any other, and count towards the limit."""
    for guess in ("a\x00b", "x" * 500):
        for _ in range(PER_USERNAME):
            assert login(client, guess, "salah").status_code == 400
        assert login(client, guess, "salah").status_code == 429
