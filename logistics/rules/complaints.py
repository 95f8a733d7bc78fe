"""The short list of complaints a field officer picks from when reporting a health incident."""
from __future__ import annotations

# (stored value in Bahasa Indonesia, English label)
COMPLAINTS: tuple[tuple[str, str], ...] = (
    ("kelelahan", "exhaustion"),
    ("pusing/hipertensi", "dizziness/hypertension"),
    ("nyeri dada", "chest pain"),
    ("pingsan", "fainted"),
    ("sesak napas", "shortness of breath"),
    ("cedera", "injury"),
    ("lainnya", "other"),
)
COMPLAINT_VALUES = frozenset(value for value, _en in COMPLAINTS)
