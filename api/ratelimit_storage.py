"""The rate limiter's in-process storage without a thread per request.

limits' MemoryStorage starts a `threading.Timer` on every hit whose previous timer has finished
(10 ms later) to purge expired counters: under load that is a new thread for most requests, about
a millisecond each (bench/write_path.py's profile, docs/PERFORMANCE.md). Counters already expire
lazily when read; this storage purges inline, at most once a second, instead, and starts no timer
when made either (web workers start no threads: siaga/worker/). Registered as the `siaga-memory://`
scheme (the default in api/__init__.py); Redis (`redis://`) is unchanged, and this storage is also the
limiter's in-memory fallback while Redis is down (`use_as_fallback`).
"""
from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict

from limits.storage import MemoryStorage, Storage

PURGE_EVERY_SECONDS = 1.0


class InlineExpiryMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["siaga-memory"]
    _last_purge = 0.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        # MemoryStorage.__init__ without its timer (the attributes it sets, for the methods it defines).
        self.storage = Counter()
        self.locks = defaultdict(threading.RLock)
        self.expirations = {}
        self.events = {}
        self.timer = threading.Timer(0, lambda: None)  # never started: is_alive() is False
        Storage.__init__(self, uri, wrap_exceptions=wrap_exceptions, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the thread-starting original
        now = time.monotonic()
        if now - self._last_purge >= PURGE_EVERY_SECONDS:
            self._last_purge = now
            self._MemoryStorage__expire_events()


def use_as_fallback(limiter, storage_uri: str) -> None:
    """Give a limiter whose counts live elsewhere (Redis) this storage as its in-memory fallback while that
    is down. The limiter is made with its own fallback off: Flask-Limiter's is a MemoryStorage, whose timer
    thread starts when it is made and on every hit (Flask-Limiter 4.1's attributes, pinned)."""
    from limits.strategies import STRATEGIES

    if storage_uri.split("://", 1)[0] in InlineExpiryMemoryStorage.STORAGE_SCHEME + MemoryStorage.STORAGE_SCHEME:
        return  # counted in this process already: nothing to fall back from
    limiter._in_memory_fallback_enabled = True
    limiter._fallback_storage = InlineExpiryMemoryStorage()
    limiter._fallback_limiter = STRATEGIES[limiter._strategy](limiter._fallback_storage)
