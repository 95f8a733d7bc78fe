"""Configuration read from environment variables when the app is created, never at import time."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from logistics.rules.time_zones import WIB
from logistics.timeutil import as_utc, to_local, utcnow

ENVIRONMENTS = ("development", "testing", "production")
INSECURE_DEV_KEY = "dev-only-insecure-key"
# Keys production refuses: the source's own development key, and keys shorter than this (a session cookie
# signed with a guessable key can be forged: any user, any role).
SECRET_KEY_MIN_LENGTH = 32
KNOWN_KEYS = frozenset({INSECURE_DEV_KEY, "changeme", "change-me", "secret", "dev", "development"})
# What a request may send: forms and API bodies 1 MB; the admin's area files (admin/setup.py) 25 MB, a
# kabupaten's desa boundaries as GeoJSON being ~20 MB. Stated once: the app's limits, the 413 page and the
# nginx site (deploy/render.py, scripts/cluster.sh: client_max_body_size = UPLOAD_LIMIT) all read these.
FORM_LIMIT = 1024 * 1024
UPLOAD_LIMIT = 25 * 1024 * 1024
SESSION_LIFETIME = timedelta(hours=30)  # an election-day shift, with margin; then log in again
# How long stored figures are served before the worker computes them again (siaga/shared_figures.py): a
# kecamatan's, and a wider scope's (a kab/kota, a province, the nation). The wider ones cost the most (a
# kota's: a quarter second of database CPU at national size, docs/SCALING.md) and are watched for the
# trend, not the minute. FIGURES_SHARE_S=0 stores none: every request computes its own.
FIGURES_SHARE_S = 15.0
FIGURES_SHARE_WIDE_S = 120.0
# How often an open field page checks itself (siaga/static/js/live.js) on a browser holding a push subscription
# the server knows: a push for that person makes the page check at once (field/static/sw.js), so its timer
# only catches what is not pushed to them (a delivery dispatched, an incident treated on site: audience.py),
# which then reaches the page within this many seconds instead of 5 (docs/SCALING.md, proposal 2).
LIVE_POLL_PUSHED_S = 30.0


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver we ship; a libpq multi-host URL
    (`postgresql://u@db1:5432,db2:5432/siaga?target_session_attrs=read-write`, docs/DEPLOY.md "Failover")
    becomes SQLAlchemy's spelling of the same (`...@/siaga?host=db1:5432&host=db2:5432&...`)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + _hosts_as_query(url[len(prefix):])
    return url


def _hosts_as_query(rest: str) -> str:
    """`user@h1:p1,h2:p2/db?q` -> `user@/db?host=h1:p1&host=h2:p2&q` (one host: unchanged)."""
    authority, slash, tail = rest.partition("/")
    userinfo, at, hosts = authority.rpartition("@")
    if "," not in hosts:
        return rest
    database, _q, query = tail.partition("?")
    # SQLAlchemy wants a port on every host when several are given; libpq's default is 5432.
    listed = [h if ":" in h else f"{h}:5432" for h in hosts.split(",") if h]
    params = "&".join([*(f"host={h}" for h in listed), *([query] if query else [])])
    return f"{userinfo}{at}/{database}?{params}"


@dataclass(frozen=True)
class Settings:
    env: str
    secret_key: str
    database_url: str
    election_date: str
    map_grid_refresh: str = "background"  # "off": only `flask refresh-map-grid` counts the map's cells
    map_grid_refresh_s: float = 30.0
    election_clock: str = ""
    figures_share_s: float = FIGURES_SHARE_S
    figures_share_wide_s: float = FIGURES_SHARE_WIDE_S
    # The worker's hourly situation reports (maps/situation_report.py): their languages, "" for none.
    situation_report_languages: str = "id,en"
    # SMS through a self-hosted gateway (siaga/sms/): "" off, "smsgate" (SMS Gateway for Android), "fake"
    # (the local stand-in, siaga/sms/fake_gateway.py: the demo and the tests).
    sms_gateway: str = ""
    sms_gateway_url: str = ""
    sms_username: str = ""
    sms_password: str = ""
    sms_signing_key: str = ""
    sms_number: str = ""  # the gateway phone's own number, printed on the command card
    # The worker role (siaga/worker/): on PostgreSQL any number of processes share the events; how often one
    # not holding the scheduled work's lead tries to take it (and its holder checks it still holds it), i.e.
    # about how long the scheduled work waits after its process died (siaga/worker/lead.py).
    worker_lead_check_s: float = 1.0
    # A delivery claimed this long ago without a result: its sender died, another pass sends it
    # (siaga/worker/outbox.py; longer than any send, siaga/worker/webpush.py's SEND_TIMEOUT_S).
    outbox_claim_timeout_s: float = 60.0
    live_poll_pushed_s: float = LIVE_POLL_PUSHED_S

    def as_flask_config(self) -> dict:
        return {
            "SIAGA_ENV": self.env,
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            # No pool_pre_ping (a round trip per request): PostgreSQL connections are checked by
            # siaga/pg_liveness.py on checkout; SQLite's are files.
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
            "ELECTION_DATE": self.election_date,
            "MAP_GRID_REFRESH": self.map_grid_refresh,
            "MAP_GRID_REFRESH_S": self.map_grid_refresh_s,
            "ELECTION_CLOCK": self.election_clock,
            "FIGURES_SHARE_S": self.figures_share_s,
            "FIGURES_SHARE_WIDE_S": self.figures_share_wide_s,
            "SITUATION_REPORT_LANGUAGES": self.situation_report_languages,
            "SMS_GATEWAY": self.sms_gateway,
            "SMS_GATEWAY_URL": self.sms_gateway_url,
            "SMS_USERNAME": self.sms_username,
            "SMS_PASSWORD": self.sms_password,
            "SMS_SIGNING_KEY": self.sms_signing_key,
            "SMS_NUMBER": self.sms_number,
            "WORKER_LEAD_CHECK_S": self.worker_lead_check_s,
            "OUTBOX_CLAIM_TIMEOUT_S": self.outbox_claim_timeout_s,
            "LIVE_POLL_PUSHED_S": self.live_poll_pushed_s,
            "TESTING": self.env == "testing",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.env == "production",
            # __Host-: the browser takes it only over https, for this host and path /, so no sibling
            # subdomain can plant or overwrite it (OWASP ASVS 3.4.4).
            "SESSION_COOKIE_NAME": "__Host-session" if self.env == "production" else "session",
            "PERMANENT_SESSION_LIFETIME": SESSION_LIFETIME,
            # A login lasts 30 h from login however active (siaga.auth): re-sending the cookie on every
            # response (static files included) would only move its Expires, and race a logout.
            "SESSION_REFRESH_EACH_REQUEST": False,
            "MAX_CONTENT_LENGTH": FORM_LIMIT,
            "JSON_SORT_KEYS": False,
        }


def load_settings(instance_path: str, environ: dict | None = None) -> Settings:
    """Build settings from `environ` (default: os.environ); raise ConfigError when unusable."""
    env_vars = os.environ if environ is None else environ
    env = env_vars.get("SIAGA_ENV", "production").strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"SIAGA_ENV must be one of {', '.join(ENVIRONMENTS)}; got {env!r}.")
    secret_key = env_vars.get("SECRET_KEY", "").strip()
    if not secret_key:
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Siaga TPS refuses to start in production without it: "
                "set SECRET_KEY to a long random value (for example the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`), "
                "or set SIAGA_ENV=development for a local demo."
            )
        secret_key = INSECURE_DEV_KEY
    if env == "production":
        check_production_key(secret_key)
    default_db = "sqlite:///" + str(Path(instance_path) / "siaga.db")
    database_url = normalise_database_url(env_vars.get("DATABASE_URL", "").strip() or default_db)
    election_date = env_vars.get("ELECTION_DATE", "2025-08-27").strip()
    if election_date.lower() == "today":
        # The demo: the election day is today, so a drill plays a living day on the real clock. Today on the
        # demo city's clock (Pangkalpinang, WIB): the configuration is read before any area is.
        election_date = to_local(utcnow(), WIB).date().isoformat()
    try:
        date.fromisoformat(election_date)
    except ValueError:
        raise ConfigError(f"ELECTION_DATE must be a date like 2025-08-27 or 'today'; got {election_date!r}.") from None
    refresh = env_vars.get("MAP_GRID_REFRESH", "off" if env == "testing" else "background").strip().lower()
    if refresh not in ("background", "off"):
        raise ConfigError(f"MAP_GRID_REFRESH must be 'background' or 'off'; got {refresh!r}.")
    try:
        refresh_s = float(env_vars.get("MAP_GRID_REFRESH_S", "30"))
    except ValueError:
        raise ConfigError("MAP_GRID_REFRESH_S must be a number of seconds.") from None
    try:
        share_s = float(env_vars.get("FIGURES_SHARE_S", "0" if env == "testing" else FIGURES_SHARE_S))
    except ValueError:
        raise ConfigError("FIGURES_SHARE_S must be a number of seconds.") from None
    try:
        share_wide_s = float(env_vars.get("FIGURES_SHARE_WIDE_S", FIGURES_SHARE_WIDE_S))
    except ValueError:
        raise ConfigError("FIGURES_SHARE_WIDE_S must be a number of seconds.") from None
    worker_lead_check_s = _seconds(env_vars, "WORKER_LEAD_CHECK_S", 1.0)
    claim_timeout_s = _seconds(env_vars, "OUTBOX_CLAIM_TIMEOUT_S", 60.0)
    live_poll_pushed_s = _seconds(env_vars, "LIVE_POLL_PUSHED_S", LIVE_POLL_PUSHED_S)
    # A frozen clock (benchmarks, screenshots): every alert and figure is judged at this moment.
    election_clock = env_vars.get("ELECTION_CLOCK", "").strip()
    if election_clock:
        try:
            as_utc(datetime.fromisoformat(election_clock))
        except ValueError:
            raise ConfigError(f"ELECTION_CLOCK must be a moment with a zone like 2025-08-27T14:00:00+07:00; "
                              f"got {election_clock!r}.") from None
    report_languages = ",".join(part.strip().lower() for part in
                                env_vars.get("SITUATION_REPORT_LANGUAGES", "id,en").split(",") if part.strip())
    if not set(report_languages.split(",")) <= {"id", "en", ""}:
        raise ConfigError(f"SITUATION_REPORT_LANGUAGES must list id and/or en (or be empty); got {report_languages!r}.")
    return Settings(env=env, secret_key=secret_key, database_url=database_url, election_date=election_date,
                    map_grid_refresh=refresh, map_grid_refresh_s=refresh_s, election_clock=election_clock,
                    figures_share_s=share_s, figures_share_wide_s=share_wide_s,
                    situation_report_languages=report_languages,
                    worker_lead_check_s=worker_lead_check_s, outbox_claim_timeout_s=claim_timeout_s,
                    live_poll_pushed_s=live_poll_pushed_s,
                    **_sms_settings(env_vars))


def _seconds(env_vars, name: str, default: float) -> float:
    """A positive number of seconds from `name`, or `default` when unset."""
    raw = env_vars.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds; got {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0 seconds; got {raw!r}.")
    return value


def check_production_key(secret_key: str) -> None:
    """Refuse a key anyone may know (published in this source) or short enough to guess."""
    hint = ("set SECRET_KEY to a long random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`")
    if secret_key.lower() in KNOWN_KEYS:
        raise ConfigError(f"SECRET_KEY is a published development key; Siaga TPS refuses it in production: {hint}.")
    if len(secret_key) < SECRET_KEY_MIN_LENGTH:
        raise ConfigError(f"SECRET_KEY is {len(secret_key)} characters; production needs at least "
                          f"{SECRET_KEY_MIN_LENGTH}: {hint}.")


SMS_GATEWAYS = ("", "smsgate", "fake")
FAKE_SMS = {"sms_gateway_url": "http://fake-sms-gateway", "sms_username": "siaga", "sms_password": "fake",
            "sms_signing_key": "fake-signing-key", "sms_number": "+6281100000000"}


def _sms_settings(env_vars) -> dict:
    kind = env_vars.get("SMS_GATEWAY", "").strip().lower()
    if kind not in SMS_GATEWAYS:
        raise ConfigError(f"SMS_GATEWAY must be 'smsgate', 'fake' or empty; got {kind!r}.")
    values = {"sms_gateway": kind} | {name: env_vars.get(name.upper(), "").strip() for name in FAKE_SMS}
    if kind == "fake":
        return values | {name: values[name] or default for name, default in FAKE_SMS.items()}
    if kind == "smsgate":
        missing = [name.upper() for name in ("sms_gateway_url", "sms_username", "sms_password", "sms_signing_key")
                   if not values[name]]
        if missing:
            raise ConfigError(f"SMS_GATEWAY=smsgate needs {', '.join(missing)} (docs/DEPLOY.md, 'SMS').")
    return values
