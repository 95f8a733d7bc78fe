"""The rate limiter's in-process storage without a thread per request.

limits' MemoryStorage starts a `threading.Timer` on every hit whose previous timer has finished
(10 ms later) to purge expired counters: under load that is a new thread for most requests, about
a millisecond each (bench/write_path.py's profile, docs/PERFORMANCE.md). Counters already expire
lazily when read; this storage purges inline, at most once a second, instead. Registered as the
`siaga-memory://` scheme (the default in api/__init__.py); Redis (`redis://`) is unchanged.
"""
from __future__ import annotations

import time

from limits.storage import MemoryStorage

PURGE_EVERY_SECONDS = 1.0


class InlineExpiryMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["siaga-memory"]
    _last_purge = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the thread-starting original
        now = time.monotonic()
        if now - self._last_purge >= PURGE_EVERY_SECONDS:
            self._last_purge = now
            self._MemoryStorage__expire_events()
