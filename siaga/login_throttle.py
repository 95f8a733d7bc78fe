"""Failed logins are counted per (username, address) and per address; past a limit, /login answers 429.

Counted once for every worker and app server: in the database (`login_failure`) by default, in Redis when the
API's limiter uses it (RATELIMIT_STORAGE_URI=redis://...). Only failures count: a kecamatan office's officers
behind one address may all log in on the same morning.

Why (username, address) and not the username alone: a stranger who knows an officer's (predictable) username
could otherwise lock that officer out from anywhere. Now the stranger's guesses lock only the stranger's own
address for that username, while the officer's phone keeps working; the per-address cap stops one address
guessing across many usernames. Limits are sliding windows, so a lock lasts at most one window (15 minutes by
default), never the day. Guessing from many addresses is answered by what is guessed: user passwords of 12+
characters, and login-card codes of 10 characters with a limited number of tries per card
(logistics/rules/login_codes.py). docs/SECURITY.md, "Failed logins".

Limits: LOGIN_LIMIT_PER_USERNAME (per username from one address) and LOGIN_LIMIT_PER_ADDRESS (environment or
config, limits' notation, e.g. "10 per 15 minutes"). Behind a proxy, set TRUSTED_PROXIES (siaga.security) so
the address is the client's.
"""
from __future__ import annotations

import logging
import math
import os
import time
from datetime import timedelta

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from sqlalchemy import delete, select

from logistics.models import LoginFailure
from logistics.timeutil import utcnow
from siaga.extensions import db

DEFAULT_PER_USERNAME = "10 per 15 minutes"  # ASVS 2.2.1: far below 100 failures per hour per account
DEFAULT_PER_ADDRESS = "50 per 15 minutes"
IN_PROCESS_STORAGES = ("siaga-memory://", "memory://")  # counts of one worker: not used for logins
log = logging.getLogger(__name__)


def configure(app: Flask) -> None:
    """Read the limits (config, else environment, else the defaults) when the app is created; refuse bad ones."""
    from siaga.config import ConfigError

    for name, default in (("LOGIN_LIMIT_PER_USERNAME", DEFAULT_PER_USERNAME),
                          ("LOGIN_LIMIT_PER_ADDRESS", DEFAULT_PER_ADDRESS)):
        value = app.config.get(name) or os.environ.get(name, "").strip() or default
        try:
            parse(value)
        except ValueError:
            raise ConfigError(f"{name} must look like '10 per 15 minutes'; got {value!r}.") from None
        app.config[name] = value


def _address() -> str:
    return (request.remote_addr or "unknown")[:64]


def _counted_name(username: str) -> str:
    """The username as counted: its column's length, and no NUL (PostgreSQL refuses one even in a query;
    a guess holding one still counts, as the same text with U+FFFD in its place)."""
    return username.replace("\x00", "\ufffd")[:60]


def _limits(username: str) -> list[tuple[RateLimitItem, str, str | None]]:
    """Each limit with what it counts: (limit, address, username or None for every username)."""
    config = current_app.config
    return [(parse(config["LOGIN_LIMIT_PER_USERNAME"]), _address(), _counted_name(username)),
            (parse(config["LOGIN_LIMIT_PER_ADDRESS"]), _address(), None)]


def _in_redis() -> bool:
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
    return bool(uri) and not uri.startswith(IN_PROCESS_STORAGES)


def _strategy():
    """The API limiter's strategy over its shared storage (Redis)."""
    return current_app.extensions["siaga_api_limiter"].limiter


def _key(address: str, username: str | None) -> str:
    return f"login:addr-user:{address}|{username}" if username is not None else f"login:addr:{address}"


def _window(item: RateLimitItem) -> timedelta:
    return timedelta(seconds=item.get_expiry())


def _counted(address: str, username: str | None, since):
    query = select(LoginFailure.at).where(LoginFailure.address == address, LoginFailure.at > since)
    return query.where(LoginFailure.username == username) if username is not None else query


def _wait_in_database(item: RateLimitItem, address: str, username: str | None) -> int | None:
    """Seconds until the oldest of the `limit` newest failures in the window leaves it, when there are that many."""
    now = utcnow()
    window = _window(item)
    limit_th = db.session.scalar(_counted(address, username, now - window)
                                 .order_by(LoginFailure.at.desc()).offset(item.amount - 1).limit(1))
    if limit_th is None:
        return None
    return max(1, math.ceil((limit_th + window - now).total_seconds()))


def _wait_in_redis(item: RateLimitItem, address: str, username: str | None) -> int | None:
    strategy, key = _strategy(), _key(address, username)
    if strategy.test(item, key):
        return None
    return max(1, math.ceil(strategy.get_window_stats(item, key).reset_time - time.time()))


def retry_after(username: str) -> int | None:
    """Seconds until this username from this address may try again, or None when it may now.

    When Redis cannot be reached, logins go on unthrottled: on election day officers must still get in;
    the outage is logged."""
    wait_for = _wait_in_redis if _in_redis() else _wait_in_database
    try:
        waits = [wait for item, address, name in _limits(username) if (wait := wait_for(item, address, name))]
    except Exception:  # noqa: BLE001  (any storage failure: redis, network)
        if not _in_redis():
            raise  # the database is the app's own: without it nothing works anyway
        log.exception("login throttle storage unavailable; not throttling")
        return None
    return max(waits) if waits else None


def count_failure(username: str) -> None:
    """Count one failed login (committed: it must outlive the request's answer)."""
    if _in_redis():
        try:
            strategy = _strategy()
            for item, address, name in _limits(username):
                strategy.hit(item, _key(address, name))
        except Exception:  # noqa: BLE001
            log.exception("login throttle storage unavailable; failure not counted")
        return
    now = utcnow()
    longest = max(_window(item) for item, _address_, _name in _limits(username))
    # Rows no window reaches any more go as new ones come: the table holds at most one window's failures.
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - longest))
    db.session.add(LoginFailure(at=now, username=_counted_name(username), address=_address()))
    db.session.commit()
