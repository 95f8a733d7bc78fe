"""Texts people read that the domain owns (enum labels, error messages, alert titles, units, item names).

They are written in Bahasa Indonesia (the catalogue's source language) and stay lazy: a `lazy_gettext`
text is translated when it is turned into a string, in the language of the request that shows it. The
domain does not import Flask; `siaga.i18n` installs the translator (Flask-Babel's catalogue) at start.
`pybabel extract` finds these calls by name (babel.cfg), so call them by these names.
"""
from __future__ import annotations

import enum
from typing import Callable

from babel.support import LazyProxy


def _source(context: str | None, text: str) -> str:
    return text


_translate: Callable[[str | None, str], str] = _source


def use_translator(translate: Callable[[str | None, str], str]) -> None:
    """Install the function that translates (context, Indonesian text) for the current request."""
    global _translate
    _translate = translate


def _resolve(context: str | None, text: str, values: dict) -> str:
    translated = _translate(context, text)
    return translated.format(**values) if values else translated


def lazy_gettext(text: str, **values) -> LazyProxy:
    """`text` translated when shown; `{name}` placeholders filled from `values` (themselves lazy or not)."""
    return LazyProxy(_resolve, None, text, values, enable_cache=False)


def lazy_pgettext(context: str, text: str, **values) -> LazyProxy:
    """Like `lazy_gettext`, for a word whose English depends on what it names (`context`)."""
    return LazyProxy(_resolve, context, text, values, enable_cache=False)


def source(text) -> str:
    """The Bahasa Indonesia of a text, never translated (CSV exports, audit entries, logs)."""
    if isinstance(text, LazyProxy):
        _context, message, values = text._args
        return message.format(**{k: source(v) for k, v in values.items()}) if values else message
    return str(text)


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a label (a lazy text). Here rather than in the models so a
    lifecycle (logistics.rules.lifecycles) can state its states and their labels without importing them."""

    def __new__(cls, value: str, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @property
    def label_id(self) -> str:
        """The Bahasa Indonesia label whatever the request's language (exports, audit, PDFs)."""
        return source(self.label)

    def __str__(self) -> str:
        return self.value
