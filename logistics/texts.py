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


def _source_plural(context: str | None, singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


_translate: Callable[[str | None, str], str] = _source
_translate_plural: Callable[[str | None, str, str, int], str] = _source_plural


def use_translator(translate: Callable[[str | None, str], str],
                   translate_plural: Callable[[str | None, str, str, int], str] | None = None) -> None:
    """Install the functions that translate (context, Indonesian text) and (context, singular, plural, n)
    for the current request."""
    global _translate, _translate_plural
    _translate = translate
    if translate_plural is not None:
        _translate_plural = translate_plural


def _resolve(context: str | None, text: str, values: dict) -> str:
    translated = _translate(context, text)
    return translated.format(**values) if values else translated


def lazy_gettext(text: str, **values) -> LazyProxy:
    """`text` translated when shown; `{name}` placeholders filled from `values` (themselves lazy or not)."""
    return LazyProxy(_resolve, None, text, values, enable_cache=False)


def lazy_pgettext(context: str, text: str, **values) -> LazyProxy:
    """Like `lazy_gettext`, for a word whose English depends on what it names (`context`)."""
    return LazyProxy(_resolve, context, text, values, enable_cache=False)


def _resolve_plural(context: str | None, forms: tuple[str, str], values: dict) -> str:
    return _translate_plural(context, forms[0], forms[1], values["n"]).format(**values)


def lazy_ngettext(singular: str, plural: str, n: int, **values) -> LazyProxy:
    """A text with a count: the catalogue's plural form for `n` ("1 set", "2 sets"); `{n}` is the count.
    Its args keep the (context, text, values) shape of the others, the text being the two forms."""
    return LazyProxy(_resolve_plural, None, (singular, plural), values | {"n": n}, enable_cache=False)


def lazy_npgettext(context: str, singular: str, plural: str, n: int, **values) -> LazyProxy:
    """`lazy_ngettext` for a word whose English depends on what it names (`context`)."""
    return LazyProxy(_resolve_plural, context, (singular, plural), values | {"n": n}, enable_cache=False)


def lazy_text(context: str | None, text, values: dict) -> LazyProxy:
    """A lazy text again from its parts (`LazyProxy._args`), plural or not (siaga/figure_codec.py)."""
    if isinstance(text, (tuple, list)):
        values = dict(values)
        n = values.pop("n")
        return lazy_ngettext(text[0], text[1], n, **values) if context is None else \
            lazy_npgettext(context, text[0], text[1], n, **values)
    return lazy_gettext(text, **values) if context is None else lazy_pgettext(context, text, **values)


def source(text) -> str:
    """The Bahasa Indonesia of a text, never translated (CSV exports, audit entries, logs)."""
    if isinstance(text, LazyProxy):
        _context, message, values = text._args
        if isinstance(message, tuple):
            message = message[0] if values["n"] == 1 else message[1]
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
