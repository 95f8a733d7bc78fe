"""Figures shared between requests (per process) and refreshed in the background.

At national scale one dashboard's aggregates read millions of rows (seconds of database time); the page
refreshes itself every 30 s and many coordinators watch the same areas. So the figures of a scope are
computed once and served to everyone: younger than `FIGURES_SHARE_S` (default 15 s) as they are; older,
still served at once while one background thread computes them again (stale-while-revalidate; the page
shows when they were computed); older than `MAX_AGE_FACTOR` times that (nobody asked for a while, or the
refresh keeps failing), computed again in the request. 0 turns sharing off, as the tests do.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
SHARE_S = 15
MAX_AGE_FACTOR = 8
MAX_ENTRIES = 256
_cache: OrderedDict = OrderedDict()  # key -> (computed at (monotonic), value)
_refreshing: set = set()
_lock = threading.Lock()
log = logging.getLogger("siaga.shared_figures")


def shared(key: tuple, compute: Callable[[], T]) -> T:
    ttl = current_app.config.get("FIGURES_SHARE_S", 0 if current_app.testing else SHARE_S)
    if not ttl:
        return compute()
    from siaga.extensions import db

    key = (str(db.engine.url), *key)
    now = time.monotonic()
    with _lock:
        entry = _cache.get(key)
        if entry is not None:
            _cache.move_to_end(key)
            age = now - entry[0]
            if age < ttl:
                return entry[1]
            if age < ttl * MAX_AGE_FACTOR:
                if key not in _refreshing:
                    _refreshing.add(key)
                    app = current_app._get_current_object()
                    threading.Thread(target=_refresh, args=(app, key, compute), daemon=True,
                                     name="shared-figures").start()
                return entry[1]
    value = compute()
    _store(key, value)
    return value


def _store(key: tuple, value) -> None:
    with _lock:
        _cache[key] = (time.monotonic(), value)
        _cache.move_to_end(key)
        while len(_cache) > MAX_ENTRIES:
            _cache.popitem(last=False)


def _refresh(app, key: tuple, compute: Callable) -> None:
    try:
        with app.app_context():
            _store(key, compute())
    except Exception:  # noqa: BLE001  (the last figures stay; the next request tries again)
        log.exception("refreshing shared figures failed")
    finally:
        with _lock:
            _refreshing.discard(key)


def forget() -> None:
    with _lock:
        _cache.clear()
