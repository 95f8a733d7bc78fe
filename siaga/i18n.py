"""Bahasa Indonesia first, English on request: one mechanism, Flask-Babel's gettext catalogues.

Texts are written in Bahasa Indonesia (the source language: the msgids) and wrapped where they are
written: `_()`/`gettext()` and `pgettext()` in views and templates, `lazy_gettext()`/`lazy_pgettext()`
(from `logistics.texts`) for texts defined at import time — enum labels, service errors, alert titles,
units, item names. `{name}` placeholders are filled with `str.format` after translation, everywhere.
A context (`pgettext`) separates one Indonesian word with two English meanings ("Selesai": a check-in
is *Done*, an incident is *Closed*).

The English lives in `siaga/translations/en/LC_MESSAGES/messages.po`; `scripts/i18n.sh` extracts the
texts from code and templates (`babel.cfg`) into `messages.pot`, updates the .po and compiles the .mo.
The .mo is not committed: the app compiles it at start when it is missing or older than the .po.
Jinja has Flask-Babel's i18n extension, so `{% trans %}` blocks work too (their placeholders are
Jinja's `%(name)s`, as the extension writes them); expressions use `_()` with `{name}`.

The chosen language lives in a `lang` cookie, switched by `/bahasa/<id|en>`; `?lang=` overrides it.
"""
from __future__ import annotations

import logging
import os

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy
from flask import Blueprint, Flask, g, has_app_context, has_request_context, redirect, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel, get_translations

from logistics import texts
from logistics.texts import lazy_gettext, lazy_pgettext  # noqa: F401 - re-exported for the web layers

LANGUAGES = ("id", "en")
TRANSLATIONS = os.path.join(os.path.dirname(__file__), "translations")
log = logging.getLogger(__name__)

bp = Blueprint("i18n", __name__)
babel = Babel()


def current_language() -> str:
    if not has_request_context():
        return "id"
    if "lang" not in g:
        g.lang = language_of(request)
    return g.lang


def language_of(asking) -> str:
    """The language of a request (Flask's, or a bare werkzeug one read before Flask's: siaga/live.py's early
    check, which must tag a page in the language the page would be in)."""
    chosen = asking.args.get("lang") or asking.cookies.get("lang")
    if chosen is None and asking.path.startswith("/api/"):
        # A partner's program says its language in Accept-Language (the API's messages). Pages keep
        # Indonesian unless chosen: a phone set to English is no choice of the officer's.
        chosen = asking.accept_languages.best_match(LANGUAGES)
    return chosen if chosen in LANGUAGES else "id"


def _fill(text: str, values: dict) -> str:
    return text.format(**values) if values else text


def translations():
    """Flask-Babel's `get_translations()`, looked up once per request and locale: a page asks for some
    seventy texts, and each lookup walks the context, the domain and the locale selector again. Kept on
    Flask-Babel's own per-request namespace beside the locale it was found for, so `force_locale` (which
    puts another locale there) gets its own catalogue and the request's again afterwards."""
    babel_context = g.get("_flask_babel") if has_app_context() else None
    if babel_context is not None:
        kept = babel_context.__dict__.get("siaga_translations")
        if kept is not None and kept[0] is babel_context.__dict__.get("babel_locale"):
            return kept[1]
    found = get_translations()
    babel_context = g.get("_flask_babel") if has_app_context() else None
    if babel_context is not None:
        babel_context.siaga_translations = (babel_context.__dict__.get("babel_locale"), found)
    return found


def gettext(text, **values) -> str:
    """The text in the current language, with `{name}` placeholders filled in.

    A lazy text (already a msgid with its own values) is simply resolved."""
    if isinstance(text, LazyProxy):
        return _fill(str(text), values)
    return _fill(translations().ugettext(text), values)


def pgettext(context: str, text: str, **values) -> str:
    """`gettext` for a word whose English depends on what it names."""
    return _fill(translations().upgettext(context, text), values)


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    """The catalogue's form for the count `n` ("1 set", "2 sets"), `{n}` and the `{name}` placeholders filled."""
    return translations().ungettext(singular, plural, n).format(**(values | {"n": n}))


def npgettext(context: str, singular: str, plural: str, n: int, **values) -> str:
    return translations().unpgettext(context, singular, plural, n).format(**(values | {"n": n}))


_ = gettext


def label(member) -> str:
    """A LabelledEnum member's label in the current language."""
    return str(member.label)


def _translate(context: str | None, text: str) -> str:
    return translations().upgettext(context, text) if context else translations().ugettext(text)


def _translate_plural(context: str | None, singular: str, plural: str, n: int) -> str:
    found = translations()
    return (found.unpgettext(context, singular, plural, n) if context
            else found.ungettext(singular, plural, n))


class _JSONProvider(DefaultJSONProvider):
    """jsonify() writes lazy texts as the strings they are in the request's language."""

    @staticmethod
    def default(o):
        if isinstance(o, LazyProxy):
            return str(o)
        return DefaultJSONProvider.default(o)


def compile_catalogues(directory: str = TRANSLATIONS) -> None:
    """Write each language's messages.mo from its .po when missing or older (a clean clone has no .mo).

    Written to a temporary file and renamed, so parallel workers never read half a file; a read-only
    install that ships its .mo is left alone."""
    for language in os.listdir(directory):
        folder = os.path.join(directory, language, "LC_MESSAGES")
        po, mo = os.path.join(folder, "messages.po"), os.path.join(folder, "messages.mo")
        if not os.path.isfile(po) or (os.path.isfile(mo) and os.path.getmtime(mo) >= os.path.getmtime(po)):
            continue
        with open(po, "rb") as source:
            catalogue = read_po(source, locale=language)
        partial = f"{mo}.{os.getpid()}.tmp"
        try:
            with open(partial, "wb") as target:
                write_mo(target, catalogue, use_fuzzy=False)
            os.replace(partial, mo)
        except OSError as exc:
            log.warning("cannot write %s: %s", mo, exc)


@bp.get("/bahasa/<lang>")
def switch_language(lang: str):
    from siaga.redirects import safe_next, same_site_path

    target = safe_next(request.args.get("next") or same_site_path(request.referrer, request.host), "/")
    response = redirect(target)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def register(app: Flask) -> None:
    compile_catalogues()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "id")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", TRANSLATIONS)
    babel.init_app(app, locale_selector=current_language)
    texts.use_translator(_translate, _translate_plural)
    app.json = _JSONProvider(app)
    app.register_blueprint(bp)
    # Flask-Babel installed Jinja's i18n extension (gettext/ngettext/pgettext for `{% trans %}`);
    # `_` in expressions is ours, with `{name}` placeholders like the Python code.
    app.jinja_env.globals.update(_=gettext, label=label, current_language=current_language, _p=pgettext,
                                 _n=ngettext)
