"""Failed logins are counted per username and per address; past the limit, /login answers 429.

It uses the API's Flask-Limiter storage (memory by default, Redis with RATELIMIT_STORAGE_URI), so
several workers share the counts when Redis is configured. Only failures count: a kecamatan office's
officers behind one address may all log in on the same morning. Limits: LOGIN_LIMIT_PER_USERNAME and
LOGIN_LIMIT_PER_ADDRESS (environment or config, limits' notation, e.g. "10 per 15 minutes"). Behind a
proxy, set TRUSTED_PROXIES (siaga.security) so the address is the client's.
"""
from __future__ import annotations

import logging
import math
import os
import time

from flask import Flask, current_app, request
from limits import RateLimitItem, parse

DEFAULT_PER_USERNAME = "10 per 15 minutes"  # ASVS 2.2.1: far below 100 failures per hour per account
DEFAULT_PER_ADDRESS = "50 per 15 minutes"
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


def _limits(username: str) -> list[tuple[RateLimitItem, str]]:
    """Each limit with the key it counts under: the (normalised) username, and the request's address."""
    config = current_app.config
    return [
        (parse(config["LOGIN_LIMIT_PER_USERNAME"]), "login:user:" + username[:60]),
        (parse(config["LOGIN_LIMIT_PER_ADDRESS"]), "login:addr:" + (request.remote_addr or "unknown")),
    ]


def _strategy():
    return current_app.extensions["siaga_api_limiter"].limiter


def retry_after(username: str) -> int | None:
    """Seconds until this username and address may try again, or None when they may now.

    When the storage (Redis) cannot be reached, logins go on unthrottled: on election day officers
    must still get in; the outage is logged."""
    waits = []
    try:
        strategy = _strategy()
        for item, key in _limits(username):
            if not strategy.test(item, key):
                reset_at = strategy.get_window_stats(item, key).reset_time
                waits.append(max(1, math.ceil(reset_at - time.time())))
    except Exception:  # noqa: BLE001  (any storage failure: redis, network)
        log.exception("login throttle storage unavailable; not throttling")
        return None
    return max(waits) if waits else None


def count_failure(username: str) -> None:
    try:
        strategy = _strategy()
        for item, key in _limits(username):
            strategy.hit(item, key)
    except Exception:  # noqa: BLE001
        log.exception("login throttle storage unavailable; failure not counted")
