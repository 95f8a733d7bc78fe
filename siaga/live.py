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
checked ahead of Flask's request (`EarlyCheck`, a WSGI middleware around `app.wsgi_app`: no request context,
no hooks, no account read): the address is matched with the app's url map, the cookie read by the app's own
session interface, and the login it claims tested in the same statement as the versions
(`siaga.auth.LOGIN_HOLDS`, the SQL twin of the account's test), so the check is one statement and skips the
user's load, the permission and the view. The tag is `_tag`'s, the full way's, over the same inputs (the
language by `siaga.i18n.language_of`); the 304 carries Flask's 304's headers and access line
(`siaga.observability.answered`). A tag that does not match, or anything the middleware does not decide
(see `EarlyCheck`), goes to Flask unchanged: the full way, where the account is read and the permission
checked.

The same middleware answers the map's TPS and incidents layers' unchanged polls (maps/data.py, `_early`): a
view declares `checked_early(Early(...))`, saying which data versions its address shows, what else the
statement reads (the reader's kecamatan scope, the active election, the newest drill: `EarlyRead`), its tag
and its 304's own headers. A layer's tag is not keyed with the user, so the view's permission is tested on the
role the login's test reads.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Callable, Iterable, Iterator

from flask import Flask, Response, current_app, g, request
from sqlalchemy import Connection, Engine, Select, String, create_engine, event, literal, select
from werkzeug.wrappers import Request

from logistics.election_scope import active_election_column
from logistics.permissions import role_holds
from logistics.queries.data_versions import ALSO_PREFIX, versions, versions_and
from logistics.queries.election_clock import newest_drill_column
from logistics.queries.kept import KEPT_NAMES
from siaga.auth import LOGIN_HOLDS, current_user, reader_scope, role_of_login, session_login
from siaga.election import election_now
from siaga.extensions import db
from siaga.i18n import current_language, language_of
from siaga.observability import answered, request_id_of
from siaga.security import connection_headers



def page_etag(names: Iterable[str], by_minute: bool = False, extra: str = "") -> str:
    user = current_user()
    who = _who(user.id, user.session_version) if user is not None else "-"
    minute = election_now().strftime("%Y%m%d%H%M") if by_minute else ""
    # The election browsed (admin/elections.py), if not the active one: its pages are other pages.
    viewing = str(db.session.info.get("election_id") or "")
    # KEPT_NAMES too: the election's day and settings and the zones in use, which the pages show (a changed
    # quorum is a new page), and under which the settings and zones are kept per process (one statement).
    return _tag(versions(db.session, *names, *KEPT_NAMES), who, request.full_path, current_language(), viewing,
                minute, extra)


def _who(user_id: int, session_version: int) -> str:
    """The user in a page's tag: a new session version (a change of role or scope, a revoke) is a new tag."""
    return f"{user_id}.{session_version}"


def _tag(version_text: str, who: str, full_path: str, language: str, viewing: str, minute: str = "",
         extra: str = "") -> str:
    """A page's tag, computed here only, for the full way (`page_etag`) and the early one (`EarlyCheck`)."""
    basis = "|".join((version_text, full_path, who, language, minute, extra, viewing))
    key = str(current_app.config.get("SECRET_KEY") or "").encode()
    return base64.urlsafe_b64encode(hmac.new(key, basis.encode(), hashlib.sha256).digest()[:12]).decode()


# What an early check may read with the login besides (`Early.also`), as rows named "@:...": the active election
# and the newest drill (the columns the request's identity read carries, logistics/identity_read.py).
_ELECTION_ROW, _DRILL_ROW = f"{ALSO_PREFIX}:election", f"{ALSO_PREFIX}:drill"
READ_ELECTION = select(literal(_ELECTION_ROW, String), active_election_column())
READ_DRILL = select(literal(_DRILL_ROW, String), newest_drill_column())


@dataclass(frozen=True)
class EarlyRead:
    """What the early check's one statement read for a request: the versions' text ("name:version|...", as
    `versions` gives it), the login (user id, session version) and the rows read with it (`Early.also`)."""
    asking: Request
    login: tuple[int, int]
    versions: str
    rows: list

    def scope(self) -> list[int] | None:
        """The reader's `kecamatan_scope` (read by `siaga.auth.READER_SCOPE`)."""
        return reader_scope(self.rows)

    def election(self) -> int | None:
        """The active election (`READ_ELECTION`): what `current_election_id` is with no election browsed."""
        return self._value(_ELECTION_ROW)

    def drill(self) -> int | None:
        """The newest drill's id (`READ_DRILL`); None: no drill, the election clock is the wall clock."""
        return self._value(_DRILL_ROW)

    def _value(self, name: str):
        found = [value for row_name, value in self.rows if row_name == name]
        if len(found) != 1:
            raise LookupError(f"{name} not read")  # not declared in `also`: the full way answers
        return found[0]


@dataclass(frozen=True)
class Early:
    """How a view's unchanged GET is checked ahead of Flask (`EarlyCheck`; `checked_early` declares it):
    `names(asking, view_args)`: the data versions its answer shows, from the address alone; `also`: what the
    statement reads besides (after LOGIN_HOLDS; parameters: the login's); `tag(read)`: the tag the view would
    give, over the same inputs by the same function; `headers(read)`: what the view's 304 carries besides the
    common ones. `names` or `tag` answer None for a request the check cannot decide: the full way answers."""
    names: Callable[[Request, dict], Iterable[str] | None]
    tag: Callable[[EarlyRead], str | None]
    also: tuple[Select, ...] = ()
    headers: Callable[[EarlyRead], dict] | None = None


def checked_early(early: Early):
    """Declare a GET view checked ahead of Flask (`EarlyCheck`), as `early` says. The view's permission
    (`siaga.auth.requires`) is tested on the role the login's test reads."""

    def decorator(view):
        view.live_early = early  # seen on the registered view: `functools.wraps` carries it up the decorators
        return view

    return decorator


class EarlyCheck:
    """WSGI middleware around `app.wsgi_app`, ahead of Flask's request (no request context, no hooks): a
    check of a view declared `checked_early` (a page declared `names_from_address`, a map layer) is answered
    304 when its tag is still the one asked about, the login still holds and its role may open the view.
    Anything else goes to Flask unchanged: another method, no If-None-Match, an address that is no such view
    (or one its `Early` does not decide), no login in the cookie, an election browsed, a tag that differs, a
    login that ended or a role refused (the full way answers or refuses), and any error (the full way meets it
    and answers it as it answers any). What Flask's 304 carries, this one carries, by the same functions: the
    session interface's Vary (and no Set-Cookie), `siaga.security.connection_headers`, the view's own
    (`Early.headers`), the request id, and the access line and the request's metrics
    (`siaga.observability.answered`)."""

    def __init__(self, app: Flask, wsgi_app, browsed_key: str):
        self.app, self.wsgi_app, self.browsed_key = app, wsgi_app, browsed_key

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("HTTP_IF_NONE_MATCH"):
            started = time.perf_counter()
            try:
                answer = self.answer(environ, started)
            except Exception:  # noqa: BLE001 - the full way answers it (an error page, the error logged)
                answer = None
            if answer is not None:
                return answer(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def answer(self, environ, started: float) -> Response | None:
        app = self.app
        asking = app.request_class(environ)
        rule, view_args = app.create_url_adapter(asking).match(return_rule=True)
        view = app.view_functions.get(rule.endpoint)
        early: Early | None = getattr(view, "live_early", None)
        if early is None:
            return None
        cookie = app.session_interface.open_session(app, asking)  # the app's own reading of its cookie
        if cookie is None or self.browsed_key in cookie:  # a past election browsed: its pages are other pages
            return None
        cookie.accessed = True  # read, as Flask's request context marks it: the answer varies on the cookie
        with app.app_context():
            login = session_login(cookie)
            if login is None:
                return None
            names = early.names(asking, view_args)
            if names is None:
                return None
            with _lone_read() as connection:
                version_text, rows = versions_and(connection, tuple(names), (LOGIN_HOLDS, *early.also),
                                                  {"login_user": login[0], "login_version": login[1]})
            role = role_of_login(rows)
            permission = getattr(view, "permission", None)  # `requires`'s
            if role is None or (permission is not None and not role_holds(role, permission)):
                return None
            read = EarlyRead(asking, login, version_text, rows)
            tag = early.tag(read)
            if tag is None or tag not in asking.if_none_match:
                return None
            response = not_modified(tag)
            if early.headers is not None:
                response.headers.update(early.headers(read))
            app.session_interface.save_session(app, cookie, response)  # Vary: Cookie, as Flask's; no Set-Cookie
            connection_headers(app, response)
            # The access log's role, as `_note_role` would note it.
            return answered(response, started, request_id_of(asking), role.value, asking.method, rule.endpoint,
                            rule)


@contextmanager
def _lone_read() -> Iterator[Connection]:
    """A connection for the early check's one statement. On PostgreSQL, out of any transaction (autocommit:
    no BEGIN before it and no ROLLBACK after, one round trip instead of three), on the checks' own pool
    (`_checks_engine`). Elsewhere, and under a session bound to one connection (the tests' savepoints), the
    session's. The bind is found without making the request's session (the engine, unless the session's maker
    names a connection): on PostgreSQL the check needs none."""
    bind = db.session.session_factory.kw.get("bind") or db.engine
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        with _checks_engine(bind).connect() as connection:
            yield connection
    else:
        yield db.session.connection()


_CHECKS_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _checks_engine(engine: Engine) -> Engine:
    """The early checks' own pool beside the app's `engine` (PostgreSQL): autocommit connections that no
    session uses, so the check's statement stays prepared. psycopg prepares a statement on its sixth run on a
    connection, and forgets every statement (and deallocates them) at a ROLLBACK, which still ends a request
    that failed or wrote (siaga/read_commit.py): on the app's pool such requests between checks would have
    them parsed and planned again (at national size its planning cost more than its run; docs/SCALING.md,
    "The live check's database CPU, measured apart"). One connection more per process (a sync worker checks
    one page at a time); disposed with `engine`."""
    checks = _CHECKS_ENGINES.get(engine)
    if checks is None:
        from siaga import pg_liveness

        checks = create_engine(engine.url, isolation_level="AUTOCOMMIT", pool_size=1, pool_pre_ping=False)
        pg_liveness.install(checks)  # a connection the server left is replaced on checkout, as the app's
        event.listen(engine, "engine_disposed", lambda _engine: checks.dispose())
        _CHECKS_ENGINES[engine] = checks
    return checks


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
    before Flask's request (`EarlyCheck`); only for a page tagged by its versions alone."""
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

        if names_from_address:
            checked_early(Early(
                lambda _asking, view_args: (*names(**view_args), *KEPT_NAMES),
                lambda read: _tag(read.versions, _who(*read.login), read.asking.full_path, language_of(read.asking),
                                  "")))(wrapped)
        return wrapped

    return decorator


def live_etag() -> str:
    """The tag of the page being rendered ("" for a page that is not live)."""
    return g.get("live_etag", "")


def live_poll_pushed_s() -> str:
    """How often a field page checks itself on a browser whose push subscription the server knows (seconds,
    `LIVE_POLL_PUSHED_S`, siaga/config.py); stated in the page (<body data-live-pushed-s>) for live.js."""
    return f"{float(current_app.config['LIVE_POLL_PUSHED_S']):g}"


def register(app: Flask) -> None:
    """Around the app's WSGI callable: a live page's early check comes before Flask's request."""
    from admin.elections import VIEW_KEY  # where a browser session names the election it browses

    app.wsgi_app = EarlyCheck(app, app.wsgi_app, VIEW_KEY)
    app.jinja_env.globals["live_etag"] = live_etag
    app.jinja_env.globals["live_poll_pushed_s"] = live_poll_pushed_s
