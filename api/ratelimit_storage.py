"""The rate limiter's in-process storage without a thread per request.

limits' MemoryStorage starts a `threading.Timer` on every hit whose previous timer has finished
(10 ms later) to purge expired counters: under load that is a new thread for most requests, about
a millisecond each (bench/write_path.py's profile, docs/PERFORMANCE.md). This storage is written on limits'
public `Storage` interface (no private name of MemoryStorage is touched, so a limits upgrade cannot silently
bring the timer back): counters expire lazily when read, and a purge of the rest runs inline, at most once a
second; it starts no thread (web workers start no threads: siaga/worker/). It serves the fixed-window
strategy, the limiter's (api/__init__.py). Registered as the `siaga-memory://` scheme (the default); Redis
(`redis://`) is unchanged, and this storage is also the limiter's in-memory fallback while Redis is down
(`use_as_fallback`).
"""
from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage, Storage

PURGE_EVERY_SECONDS = 1.0


class InlineExpiryMemoryStorage(Storage):
    STORAGE_SCHEME = ["siaga-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        self._counts: dict[str, int] = {}
        self._expiries: dict[str, float] = {}
        self._lock = threading.Lock()
        self._last_purge = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return ValueError

    def _purge(self, now: float) -> None:
        """Drop every expired counter, at most once a second (called with the lock held)."""
        if now - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = now
        for key in [k for k, at in self._expiries.items() if at <= now]:
            self._counts.pop(key, None)
            self._expiries.pop(key, None)

    def _live(self, key: str, now: float) -> int:
        if self._expiries.get(key, 0) <= now:
            self._counts.pop(key, None)
            self._expiries.pop(key, None)
            return 0
        return self._counts.get(key, 0)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            self._purge(now)
            count = self._live(key, now) + amount
            self._counts[key] = count
            if count == amount:  # a new window starts with this hit
                self._expiries[key] = now + expiry
            return count

    def get(self, key: str) -> int:
        with self._lock:
            return self._live(key, time.time())

    def get_expiry(self, key: str) -> float:
        with self._lock:
            return self._expiries.get(key, time.time())

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._counts)
            self._counts.clear()
            self._expiries.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)
            self._expiries.pop(key, None)


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
