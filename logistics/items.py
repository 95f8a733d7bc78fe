"""Names people read for the codes stored on a logistics delivery: its item and its unit.

`delivery.item` and `delivery.unit` hold short codes (`kotak_suara`, `lembar`): the API and the CSV
exports keep them; pages show these labels, in the reader's language. A code nobody listed (an item
from a later import) is shown as words, never with its underscores.
"""
from __future__ import annotations

from logistics.texts import lazy_gettext, lazy_pgettext

ITEM_LABELS = {
    "kotak_suara": lazy_gettext("Kotak suara"),
    "surat_suara": lazy_gettext("Surat suara"),
    "bilik_suara": lazy_gettext("Bilik suara"),
    "tinta": lazy_gettext("Tinta"),
    "segel": lazy_gettext("Segel"),
    "formulir": lazy_gettext("Formulir"),
}
UNIT_LABELS = {
    "porsi": lazy_pgettext("unit", "porsi"),
    "lembar": lazy_pgettext("unit", "lembar"),
    "unit": lazy_pgettext("unit", "unit"),
    "botol": lazy_pgettext("unit", "botol"),
    "set": lazy_pgettext("unit", "set"),
}


def item_label(code: str | None):
    if not code:
        return ""
    return ITEM_LABELS.get(code) or code.replace("_", " ").capitalize()


def unit_label(code: str | None):
    if not code:
        return ""
    return UNIT_LABELS.get(code) or code.replace("_", " ")
