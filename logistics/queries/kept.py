"""Values every request reads and that seldom change (the election's settings, the zones in use), kept per
process under the data versions of the tables they are made of.

A live page reads its data versions first (siaga/live.py, one statement, for its ETag); it also reads
KEPT_NAMES there, and a kept value is used only under the versions read in the same transaction
(`read_in_transaction`). Every committed change of those tables bumps their counter in its own transaction
(logistics/services/data_versions.py), so a value kept under the versions a reader sees is the value it would
read: a change is a new key, in every process. A reader that has not read the versions (no live page: a
command, a post, another page) reads the tables as before.

Off under tests (`keep(False)`): their rolled-back transactions give the same version numbers to other data.
"""
from __future__ import annotations

from typing import Callable, Hashable, TypeVar

from sqlalchemy.orm import Session

from logistics.queries.data_versions import read_in_transaction

T = TypeVar("T")

# What the kept values are made of: the elections (the day) and their settings, and the kota (the zones).
KEPT_NAMES = ("election", "election_setting", "kota")
_MAX_KEYS = 64  # an election or two at a few versions each; a change leaves old keys behind

_enabled = True
_kept: list[dict] = []


def keep(enabled: bool) -> None:
    """Keep values per process (the app's setting) or not; either way forget what is kept."""
    global _enabled
    _enabled = enabled
    for values in _kept:
        values.clear()


class Kept:
    """One kind of kept value, made of the tables `names` (a subset of KEPT_NAMES)."""

    def __init__(self, *names: str):
        assert set(names) <= set(KEPT_NAMES), names
        self.names = names
        self.values: dict = {}
        _kept.append(self.values)

    def get(self, session: Session, key: Hashable, read: Callable[[], T]) -> T:
        """The value for `key` under the versions read in this transaction; `read()` when not kept."""
        seen = read_in_transaction(session, self.names) if _enabled else None
        if seen is None:
            return read()
        full_key = (key, seen)
        value = self.values.get(full_key)
        if value is None:
            value = read()
            if len(self.values) >= _MAX_KEYS:
                self.values.clear()
            self.values[full_key] = value
        return value
