"""The short list of complaints a field officer picks from when reporting a health incident."""
from __future__ import annotations

from logistics.texts import lazy_pgettext

# (stored value, in Bahasa Indonesia, as the record keeps it; its label, translated when shown)
COMPLAINTS: tuple[tuple[str, object], ...] = (
    ("kelelahan", lazy_pgettext("complaint", "kelelahan")),
    ("pusing/hipertensi", lazy_pgettext("complaint", "pusing/hipertensi")),
    ("nyeri dada", lazy_pgettext("complaint", "nyeri dada")),
    ("pingsan", lazy_pgettext("complaint", "pingsan")),
    ("sesak napas", lazy_pgettext("complaint", "sesak napas")),
    ("cedera", lazy_pgettext("complaint", "cedera")),
    ("lainnya", lazy_pgettext("complaint", "lainnya")),
)
COMPLAINT_VALUES = frozenset(value for value, _label in COMPLAINTS)
_LABELS = dict(COMPLAINTS)


def complaint_label(value: str | None):
    """A complaint as people read it: a listed one in the reader's language, free text as recorded."""
    if not value:
        return ""
    return _LABELS.get(value, value)
