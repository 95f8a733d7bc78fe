"""Bahasa Indonesia first, English on request.

Texts are written in Bahasa Indonesia in code and templates and wrapped in `_()`; each blueprint
registers its English translations with `register_english({...})`. The chosen language lives in
a `lang` cookie, switched by `/bahasa/<id|en>`.
"""
from __future__ import annotations

from flask import Blueprint, Flask, g, has_request_context, redirect, request

LANGUAGES = ("id", "en")
_ENGLISH: dict[str, str] = {}

bp = Blueprint("i18n", __name__)


def register_english(entries: dict[str, str]) -> None:
    """Add Bahasa Indonesia -> English pairs to the catalogue."""
    _ENGLISH.update(entries)


def current_language() -> str:
    if not has_request_context():
        return "id"
    if "lang" not in g:
        chosen = request.args.get("lang") or request.cookies.get("lang") or "id"
        g.lang = chosen if chosen in LANGUAGES else "id"
    return g.lang


def gettext(text: str, **values) -> str:
    """The text in the current language, with `{name}` placeholders filled in."""
    if current_language() == "en":
        text = _ENGLISH.get(text, text)
    return text.format(**values) if values else text


_ = gettext


def label(member) -> str:
    """A LabelledEnum member's label in the current language."""
    return member.label_en if current_language() == "en" else member.label_id


@bp.get("/bahasa/<lang>")
def switch_language(lang: str):
    from siaga.redirects import safe_next, same_site_path

    target = safe_next(request.args.get("next") or same_site_path(request.referrer, request.host), "/")
    response = redirect(target)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(_=gettext, label=label, current_language=current_language)
