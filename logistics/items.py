"""Names people read for the codes stored on a logistics delivery: its item and its unit.

`delivery.item` and `delivery.unit` hold short codes (`kotak_suara`, `lembar`): the API and the CSV
exports keep them; pages show these labels, in the reader's language. A code nobody listed (an item
from a later import) is shown as words, never with its underscores.
"""
from __future__ import annotations

from logistics.texts import lazy_gettext, lazy_npgettext

ITEM_LABELS = {
    "kotak_suara": lazy_gettext("Kotak suara"),
    "surat_suara": lazy_gettext("Surat suara"),
    "bilik_suara": lazy_gettext("Bilik suara"),
    "tinta": lazy_gettext("Tinta"),
    "segel": lazy_gettext("Segel"),
    "formulir": lazy_gettext("Formulir"),
}
# Units follow a count ("1 set", "3 sets"): each is a plural text of the catalogue (Indonesian has one form).
UNIT_LABELS = {
    "porsi": lambda n: lazy_npgettext("unit", "porsi", "porsi", n),
    "lembar": lambda n: lazy_npgettext("unit", "lembar", "lembar", n),
    "unit": lambda n: lazy_npgettext("unit", "unit", "unit", n),
    "botol": lambda n: lazy_npgettext("unit", "botol", "botol", n),
    "set": lambda n: lazy_npgettext("unit", "set", "set", n),
}


def item_label(code: str | None):
    if not code:
        return ""
    return ITEM_LABELS.get(code) or code.replace("_", " ").capitalize()


def unit_label(code: str | None, n: int = 2):
    """The unit's name for a count of `n` (without a count, as for several: a column's unit)."""
    if not code:
        return ""
    return UNIT_LABELS[code](n) if code in UNIT_LABELS else code.replace("_", " ")
