"""Pages that stay current: the cheap change check behind `static/js/live.js`.

A live page polls its own address every few seconds with `If-None-Match`. The view is decorated with
`@live_page(names)`: `names(**view_args)` says which data versions the page shows
(logistics/services/data_versions.py; one owner's rows: `scoped_names`), and before the view runs the
page's ETag is computed from them — with the address, the user and their `session_version` (a change of
role, scope or a revoke bumps it, so the tag changes with what the user may see), the language, and the
election clock's minute where the page shows time-based things (`by_minute`). A poll that finds the same
tag is answered 304 with no body and no session change (no Set-Cookie), after one index range scan; any
other answer is the view's, carrying the new tag (also on the page itself, `<body data-live-etag>`,
for the first poll). live.js then swaps the page's `data-live` regions. A field page also states
`LIVE_POLL_PUSHED_S` (<body data-live-pushed-s>, `live_poll_pushed_s`): how often it checks on a browser
holding a push subscription the server knows, where a push for its user makes it check at once.

The tag is keyed with the app's secret, so it says nothing to anyone but the page it was made for; a
poll answered 304 skips the view, which is safe because the tag was given by a full answer of that view
to that user, at that session version, for that address.

The open field pages' checks are most of the national peak's requests (docs/SCALING.md), so a page whose
data versions follow from its address alone (`names_from_address=True`: a TPS's pages, a station's) is
checked earlier still (`answer_unchanged_early`, before the account is read): the login the session cookie
claims is tested in the same statement as the versions (`siaga.auth.LOGIN_HOLDS`, the SQL twin of the
account's test), so the check is one statement and skips the user's load, the permission and the view; a
tag that does not match goes the full way, where the account is read and the permission checked.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from contextlib import contextmanager
from functools import wraps
from typing import Callable, Iterable, Iterator

from flask import Response, current_app, g, request
from sqlalchemy import Connection, Engine

from logistics.queries.data_versions import versions, versions_and
from logistics.queries.kept import KEPT_NAMES
from siaga.auth import LOGIN_HOLDS, current_user, role_of_login_row, session_login
from siaga.election import election_now
from siaga.extensions import db
from siaga.i18n import current_language



def page_etag(names: Iterable[str], by_minute: bool = False, extra: str = "") -> str:
    user = current_user()
    who = _who(user.id, user.session_version) if user is not None else "-"
    minute = election_now().strftime("%Y%m%d%H%M") if by_minute else ""
    # KEPT_NAMES too: the election's day and settings and the zones in use, which the pages show (a changed
    # quorum is a new page), and under which the settings and zones are kept per process (one statement).
    return _tag(versions(db.session, *names, *KEPT_NAMES), who, minute, extra)


def _who(user_id: int, session_version: int) -> str:
    """The user in a page's tag: a new session version (a change of role or scope, a revoke) is a new tag."""
    return f"{user_id}.{session_version}"


def _tag(version_text: str, who: str, minute: str, extra: str) -> str:
    # The election browsed (admin/elections.py), if not the active one: its pages are other pages.
    viewing = str(db.session.info.get("election_id") or "")
    basis = "|".join((version_text, request.full_path, who, current_language(), minute, extra, viewing))
    key = str(current_app.config.get("SECRET_KEY") or "").encode()
    return base64.urlsafe_b64encode(hmac.new(key, basis.encode(), hashlib.sha256).digest()[:12]).decode()


def answer_unchanged_early() -> Response | None:
    """Before the account is read (a before_request): a check of a page declared `names_from_address`,
    answered 304 when its tag is still the one asked about and the login still holds; else None, and the
    request goes on the full way (a tag that differs, a login that ended: the full way answers or refuses)."""
    if request.method != "GET" or not request.if_none_match:
        return None
    names = getattr(current_app.view_functions.get(request.endpoint), "live_names_from_address", None)
    login = session_login() if names is not None else None
    if login is None:
        return None
    with _lone_read() as connection:
        version_text, held = versions_and(connection, (*names(**request.view_args), *KEPT_NAMES), LOGIN_HOLDS,
                                          {"login_user": login[0], "login_version": login[1]})
    if not held:
        return None
    tag = _tag(version_text, _who(*login), "", "")
    if tag not in request.if_none_match:
        return None
    g.log_role = role_of_login_row(held[0][0]).value  # the access log's role, as `_note_role` would note it
    return not_modified(tag)


@contextmanager
def _lone_read() -> Iterator[Connection]:
    """A connection for the early check's one statement. On PostgreSQL, out of any transaction (autocommit:
    no BEGIN before it and no ROLLBACK after, one round trip instead of three; the pool hands the same
    connection to the request's session if it goes the full way). Elsewhere, and under a session bound to one
    connection (the tests' savepoints), the session's."""
    bind = db.session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection
    else:
        yield db.session.connection()


def not_modified(tag: str) -> Response:
    """A 304 as small as it can be: no body, no content type (so no page-only headers: CSP, frame options)."""
    response = Response(status=304)
    response.headers.pop("Content-Type", None)
    response.set_etag(tag)
    return response


def live_page(names: Callable[..., Iterable[str]], *, by_minute: bool = False,
              extra: Callable[..., str] | None = None, names_from_address: bool = False):
    """Make a GET view a live page: 304 when nothing it shows has changed since the client's copy.
    `names_from_address`: `names(**view_args)` reads nothing and needs no user, so the page is checked
    before the account is read (`answer_unchanged_early`); only for a page tagged by its versions alone."""
    if names_from_address and (by_minute or extra is not None):
        raise ValueError("a page checked early is tagged by its data versions alone")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            tag = page_etag(tuple(names(**kwargs)), by_minute, extra(**kwargs) if extra else "")
            if tag in request.if_none_match:
                return not_modified(tag)
            g.live_etag = tag
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code == 200:
                response.set_etag(tag)
            return response

        if names_from_address:  # seen on the registered view: `functools.wraps` carries it up the decorators
            wrapped.live_names_from_address = names
        return wrapped

    return decorator


def live_etag() -> str:
    """The tag of the page being rendered ("" for a page that is not live)."""
    return g.get("live_etag", "")


def live_poll_pushed_s() -> str:
    """How often a field page checks itself on a browser whose push subscription the server knows (seconds,
    `LIVE_POLL_PUSHED_S`, siaga/config.py); stated in the page (<body data-live-pushed-s>) for live.js."""
    return f"{float(current_app.config['LIVE_POLL_PUSHED_S']):g}"


def register(app) -> None:
    """Before siaga.auth's registration: the early answer runs before the account is read."""
    app.before_request(answer_unchanged_early)
    app.jinja_env.globals["live_etag"] = live_etag
    app.jinja_env.globals["live_poll_pushed_s"] = live_poll_pushed_s
