import pytest

from siaga import create_app
from siaga.config import INSECURE_DEV_KEY, ConfigError, load_settings, normalise_database_url

LONG_KEY = "k" * 32


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("SIAGA_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


@pytest.mark.parametrize("key, message", [
    (INSECURE_DEV_KEY, "published development key"),
    ("DEV-ONLY-INSECURE-KEY", "published development key"),
    ("s", "1 characters; production needs at least 32"),
    ("x" * 31, "31 characters; production needs at least 32"),
])
def test_production_refuses_a_known_or_short_secret_key(monkeypatch, tmp_path, key, message):
    """A forged cookie needs only the key: the source's own development key or a short one must not start."""
    monkeypatch.setenv("SIAGA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_development_may_keep_its_short_key(tmp_path):
    assert load_settings(str(tmp_path), environ={"SIAGA_ENV": "development", "SECRET_KEY": "s"}).secret_key == "s"


def test_production_is_the_default_environment(tmp_path):
    with pytest.raises(ConfigError):
        load_settings(str(tmp_path), environ={})


def test_production_with_secret_key_starts(tmp_path):
    settings = load_settings(str(tmp_path), environ={"SECRET_KEY": LONG_KEY, "SIAGA_ENV": "production"})
    config = settings.as_flask_config()
    assert config["SECRET_KEY"] == LONG_KEY
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_defaults_to_sqlite_under_instance(tmp_path):
    settings = load_settings(str(tmp_path), environ={"SIAGA_ENV": "development"})
    assert settings.secret_key == INSECURE_DEV_KEY
    assert settings.database_url == f"sqlite:///{tmp_path}/siaga.db"


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="SIAGA_ENV"):
        load_settings(str(tmp_path), environ={"SIAGA_ENV": "staging"})


@pytest.mark.parametrize("url, expected", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://postgres@127.0.0.1:5432/test", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////tmp/a.db", "sqlite:////tmp/a.db"),
    # libpq's multi-host URL (the failover setting, docs/DEPLOY.md) in SQLAlchemy's spelling
    ("postgresql://siaga:pw@db1:5433,db2/siaga?target_session_attrs=read-write",
     "postgresql+psycopg://siaga:pw@/siaga?host=db1:5433&host=db2:5432&target_session_attrs=read-write"),
])
def test_database_url_uses_psycopg3(url, expected):
    assert normalise_database_url(url) == expected


def test_a_multi_host_url_connects_with_every_host_in_order():
    from sqlalchemy import create_engine

    engine = create_engine(normalise_database_url(
        "postgresql://siaga@db1:5433,db2:5434/siaga?target_session_attrs=read-write"))
    _args, kwargs = engine.dialect.create_connect_args(engine.url)
    assert (kwargs["host"], kwargs["port"], kwargs["dbname"]) == ("db1,db2", "5433,5434", "siaga")
    assert kwargs["target_session_attrs"] == "read-write"


def test_environment_is_read_when_the_app_is_created_not_at_import(monkeypatch, tmp_path):
    monkeypatch.setenv("SIAGA_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/first.db")
    first = create_app()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/second.db")
    second = create_app()
    assert first.config["SQLALCHEMY_DATABASE_URI"].endswith("first.db")
    assert second.config["SQLALCHEMY_DATABASE_URI"].endswith("second.db")


def test_bad_election_date_is_refused_at_start(tmp_path):
    with pytest.raises(ConfigError, match="ELECTION_DATE"):
        load_settings(str(tmp_path), environ={"SIAGA_ENV": "development", "ELECTION_DATE": "27/08/2025"})


def test_figures_are_shared_15_s_by_default_and_not_under_testing(tmp_path):
    production = load_settings(str(tmp_path), environ={"SECRET_KEY": LONG_KEY})
    assert production.as_flask_config()["FIGURES_SHARE_S"] == 15
    assert load_settings(str(tmp_path), environ={"SIAGA_ENV": "testing"}).figures_share_s == 0
    assert load_settings(str(tmp_path), environ={"SECRET_KEY": LONG_KEY, "FIGURES_SHARE_S": "60"}).figures_share_s == 60
    with pytest.raises(ConfigError, match="FIGURES_SHARE_S"):
        load_settings(str(tmp_path), environ={"SECRET_KEY": LONG_KEY, "FIGURES_SHARE_S": "soon"})


def test_wider_scopes_figures_are_shared_120_s_by_default(tmp_path):
    production = load_settings(str(tmp_path), environ={"SECRET_KEY": LONG_KEY})
    assert production.as_flask_config()["FIGURES_SHARE_WIDE_S"] == 120
    wide = load_settings(str(tmp_path), environ={"SECRET_KEY": LONG_KEY, "FIGURES_SHARE_WIDE_S": "300"})
    assert wide.as_flask_config()["FIGURES_SHARE_WIDE_S"] == 300
    with pytest.raises(ConfigError, match="FIGURES_SHARE_WIDE_S"):
        load_settings(str(tmp_path), environ={"SECRET_KEY": LONG_KEY, "FIGURES_SHARE_WIDE_S": "later"})


def test_the_worker_settings_default_and_refuse_what_is_not_a_positive_number(tmp_path):
    config = load_settings(str(tmp_path), environ={"SIAGA_ENV": "development"}).as_flask_config()
    assert (config["WORKER_LEAD_CHECK_S"], config["OUTBOX_CLAIM_TIMEOUT_S"]) == (1.0, 60.0)
    config = load_settings(str(tmp_path), environ={"SIAGA_ENV": "development", "WORKER_LEAD_CHECK_S": "0.5",
                                                   "OUTBOX_CLAIM_TIMEOUT_S": "2"}).as_flask_config()
    assert (config["WORKER_LEAD_CHECK_S"], config["OUTBOX_CLAIM_TIMEOUT_S"]) == (0.5, 2.0)
    for name in ("WORKER_LEAD_CHECK_S", "OUTBOX_CLAIM_TIMEOUT_S"):
        for bad in ("soon", "0", "-1"):
            with pytest.raises(ConfigError, match=name):
                load_settings(str(tmp_path), environ={"SIAGA_ENV": "development", name: bad})


def test_a_pushed_pages_interval_defaults_to_30_s_and_refuses_what_is_not_a_positive_number(tmp_path):
    config = load_settings(str(tmp_path), environ={"SIAGA_ENV": "development"}).as_flask_config()
    assert config["LIVE_POLL_PUSHED_S"] == 30.0
    config = load_settings(str(tmp_path), environ={"SIAGA_ENV": "development", "LIVE_POLL_PUSHED_S": "60"}).as_flask_config()
    assert config["LIVE_POLL_PUSHED_S"] == 60.0
    for bad in ("later", "0", "-5"):
        with pytest.raises(ConfigError, match="LIVE_POLL_PUSHED_S"):
            load_settings(str(tmp_path), environ={"SIAGA_ENV": "development", "LIVE_POLL_PUSHED_S": bad})
