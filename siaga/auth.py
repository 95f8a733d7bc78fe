"""Session login for the browser pages: log in (throttled), log out, change one's password, who is acting,
and the permission each page declares (`requires`).

The JSON API authenticates separately (bearer tokens); browsers keep this cookie session, which ends
for every copy of it on logout, password change, deactivation or revoke, and 30 h after login at most
(docs/SECURITY.md).
"""
from __future__ import annotations

import math
import secrets
import time
from collections.abc import Mapping
from functools import wraps

from flask import (
    Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, session, url_for,
)

from sqlalchemy import String, and_, bindparam, literal, select, type_coerce

from logistics.actor import Actor
from logistics import identity_read
from logistics.errors import ValidationFailed
from logistics.models import Role, User
from logistics.queries.data_versions import ALSO_PREFIX
from logistics.permissions import Permission, Target, holds, may
from logistics.permissions.read_scope import kecamatan_ids_rows
from logistics.services.accounts import (
    PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, authenticate, change_password, log_out, normalise_username,
    record_login,
)
from siaga import login_throttle
from siaga.extensions import db
from siaga.fields import MAX_ID, FormSecret, bad_text
from siaga.forms import FormSchema, with_form
from siaga.i18n import _
from siaga.redirects import safe_next

bp = Blueprint("auth", __name__)
_HOME_ENDPOINTS: dict[Role, str] = {}
# Response header telling the field service worker which login a page belongs to: "<sid>.<expires epoch>".
SESSION_HEADER = "X-Siaga-Session"



def register_home(role: Role, endpoint: str) -> None:
    """Where a role lands after logging in (blueprints call this when they are registered)."""
    _HOME_ENDPOINTS[role] = endpoint


def home_url(role: Role) -> str:
    endpoint = _HOME_ENDPOINTS.get(role)
    return url_for(endpoint) if endpoint else url_for("home.index")


def current_user() -> User | None:
    return g.get("user")


def current_actor() -> Actor | None:
    """The logged-in user as an Actor, made once per request (an area's kecamatan are read then)."""
    user = current_user()
    if user is None:
        return None
    made = g.get("_actor")
    if made is None or made[0] is not user:
        made = g._actor = (user, Actor.from_user(user))
    return made[1]


def kecamatan_scope() -> list[int] | None:
    """The kecamatan the current user may see: those of their area (a province, kab/kota or kecamatan),
    None for the nation (the read policy's `kecamatan_ids`)."""
    from logistics.permissions.read_scope import kecamatan_ids

    return kecamatan_ids(current_actor())


def chosen_kecamatan_ids(chosen: int | None = None) -> list[int] | None:
    """The user's scope, narrowed by the kecamatan chosen (a view's parsed query, else `?kecamatan=`) when
    given (never widened: another kecamatan is a 403)."""
    scope = kecamatan_scope()
    if chosen is None:
        chosen = request.args.get("kecamatan", type=int)
    if chosen is None:
        return scope
    if not 1 <= chosen <= MAX_ID:  # an id the database cannot hold: no such kecamatan
        abort(404)
    if scope is not None and chosen not in scope:
        abort(403)
    return [chosen]


def login_required(view):
    """Require a logged-in user (a page of anyone logged in; a page of some roles is `requires`)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            from siaga.errors import wants_json

            if wants_json():
                abort(401)
            flash(_("Silakan masuk terlebih dahulu."))
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def requires(permission: Permission):
    """Declare the permission a page needs: a login, and a role that holds `permission`
    (`logistics.permissions.HOLDERS`), else 403. The record is the service's to check (writes) or the
    read filters' (pages); the view does not ask again."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not holds(current_actor(), permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission
        return login_required(wrapped)

    return decorator


def can(permission: Permission, target: Target | None = None) -> bool:
    """For templates: may the current user do `permission` (on `target`, when given)?"""
    actor = current_actor()
    if actor is None:
        return False
    return may(actor, permission, target) if target is not None else holds(actor, permission)


def new_session_values(user: User) -> dict:
    """What a browser session (Flask's signed cookie) holds for a login of `user` now; tests log in by
    writing these. Checked on every request (`_session_user`): `session_version` must equal the user's,
    `logged_in_at` be younger than PERMANENT_SESSION_LIFETIME (30 h); `sid` names this login (the field
    service worker keys its cached pages to it)."""
    return {"user_id": user.id, "session_version": user.session_version, "logged_in_at": int(time.time()),
            "sid": secrets.token_urlsafe(12)}


def start_session(user: User) -> None:
    """Log `user` in on this browser: a fresh session (no value of an earlier one survives)."""
    session.clear()
    session.permanent = True
    session.update(new_session_values(user))


def session_expires_at(cookie: Mapping | None = None) -> int | None:
    """When the current login ends (Unix time), however active the user stays; of `cookie` when given (a
    session read before Flask's request: siaga/live.py's early check)."""
    logged_in_at = (session if cookie is None else cookie).get("logged_in_at")
    if not isinstance(logged_in_at, int):
        return None
    return logged_in_at + int(current_app.permanent_session_lifetime.total_seconds())


# The request's identity read carries the active election and whether a drill is in progress
# (logistics/identity_read.py): one statement, not three.
_USER_AND_ACTIVE_ELECTION = (select(User, *identity_read.columns())
                             .where(User.id == bindparam("user_id")).execution_options(all_elections=True))


def session_login(cookie: Mapping | None = None) -> tuple[int, int] | None:
    """The login this request's session cookie (or `cookie`, as `session_expires_at`) claims, (user id,
    session version), when it has not expired (30 h after it began); the account is not read here. Whether
    that version is still the account's is `_session_user`'s test, or `LOGIN_HOLDS`, its SQL twin."""
    values = session if cookie is None else cookie
    user_id, version, expires_at = values.get("user_id"), values.get("session_version"), session_expires_at(cookie)
    if not isinstance(user_id, int) or not isinstance(version, int) or expires_at is None or time.time() >= expires_at:
        return None
    return user_id, version


def _session_user() -> User | None:
    """The user of this request's session, when that session is still valid; else the session is emptied."""
    if session.get("user_id") is None:
        return None
    login = session_login()
    user = None
    if login is not None:
        row = db.session.execute(_USER_AND_ACTIVE_ELECTION, {"user_id": login[0]}).first()
        if row is not None:
            user, *carried = row
            identity_read.pin(db.session, *carried)
    if user is None or not user.active or login[1] != user.session_version:
        session.clear()
        return None
    return user


# `_session_user`'s test of the account in SQL, for a check that must not load the user (siaga/live.py's
# early answer to a live page, read in the statement of its data versions): one row, ("@<role>", session
# version), when the login (`login_user`, `login_version`: `session_login()`) still holds. It also asks that
# the PIN was replaced (siaga/first_login.py), so it holds only where the user's pages are served.
_LOGIN_USER = and_(User.id == bindparam("login_user"), User.session_version == bindparam("login_version"))
LOGIN_HOLDS = (
    select(literal(ALSO_PREFIX, String) + type_coerce(User.role, String), User.session_version)
    .where(_LOGIN_USER, User.active.is_(True), User.must_change_password.is_(False)))
# The login's `kecamatan_scope`, read with LOGIN_HOLDS (the map layers' early check: their tag carries it), as
# rows named READER_NATION (the nation: None) or READER_KECAMATAN (one per kecamatan; `reader_scope` reads them).
READER_NATION, READER_KECAMATAN = f"{ALSO_PREFIX}:nation", f"{ALSO_PREFIX}:kecamatan"
READER_SCOPE = kecamatan_ids_rows(_LOGIN_USER, READER_NATION, READER_KECAMATAN)


def reader_scope(rows: list[tuple[str, int]]) -> list[int] | None:
    """`kecamatan_scope` from READER_SCOPE's rows (among others), as `kecamatan_ids` gives it: sorted."""
    if any(name == READER_NATION for name, _value in rows):
        return None
    return sorted(value for name, value in rows if name == READER_KECAMATAN)


def role_of_login(rows: list[tuple[str, int]]) -> Role | None:
    """The role in `LOGIN_HOLDS`'s row among `rows` (read with others, whose names start with "@:"); None when
    there is none: the login no longer holds."""
    for name, _version in rows:
        if not name.startswith(f"{ALSO_PREFIX}:"):
            return Role(name[len(ALSO_PREFIX):])
    return None


def _too_many_attempts(wait: int) -> str:
    return _("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {minutes} menit.",
             minutes=math.ceil(wait / 60))


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status, headers = None, 200, {}
    if request.method == "POST":
        username = normalise_username(request.form.get("username"))
        password = request.form.get("password", "")
        wait = login_throttle.retry_after(username) if username and password else None
        if not username or not password:
            error, status = _("Isi nama pengguna dan kata sandi."), 400
        elif wait:
            # Refused before the password is checked: a guess past the limit learns nothing.
            error, status, headers = _too_many_attempts(wait), 429, {"Retry-After": str(wait)}
        else:
            # A NUL cannot be in any username (and PostgreSQL refuses it even in a query).
            user = None if bad_text(username) else authenticate(db.session, username, password)
            if user is None:
                login_throttle.count_failure(username)
                error, status = _("Nama pengguna atau kata sandi salah."), 400
            else:
                start_session(user)
                record_login(db.session, user)
                return redirect(safe_next(request.args.get("next"), home_url(user.role)))
    # /login?u=<username>: the QR code of a login card fills the username in.
    prefill = normalise_username(request.args.get("u"))[:60]
    return render_template("auth/login.html", error=error, prefill="" if bad_text(prefill) else prefill), \
        status, headers


@bp.post("/logout")
def logout():
    user = current_user()
    if user is not None:
        log_out(db.session, Actor.from_user(user))  # every copy of this user's session cookies stops working
    session.clear()
    flash(_("Anda sudah keluar."))
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache"'  # the browser's HTTP cache (the outbox in localStorage stays)
    return response


class PasswordForm(FormSchema):
    old_password = FormSecret(PASSWORD_MAX_LENGTH, required=True)
    new_password = FormSecret(PASSWORD_MAX_LENGTH, required=True)
    new_password_again = FormSecret(PASSWORD_MAX_LENGTH, required=True)


@bp.route("/akun/sandi", methods=["GET", "POST"])
@login_required
@with_form(PasswordForm, inline_errors=True)
def change_own_password(form: dict | None, form_errors: dict):
    """The logged-in user changes their password; their other sessions end, this one goes on."""
    return password_page(
        form, form_errors, "auth/password.html", _("Kata sandi diganti. Sesi di perangkat lain sudah berakhir."),
        lambda user: change_password(db.session, current_actor(), user.id, form["old_password"], form["new_password"]),
        throttled=True)


def password_page(form: dict | None, form_errors: dict, template: str, saved_message: str, save, *,
                  throttled: bool = False):
    """The one flow of the password pages (changing one's own, `throttled`: the old password is a guess
    that counts; and the first one, replacing a PIN, siaga/first_login.py): the two entries must match,
    `save(user)` calls the service, and on success this browser gets a fresh session (the user's
    session version moved) and goes home."""
    user = current_user()
    errors: dict[str, str] = dict(form_errors)
    status = 422 if errors else 200
    wait = None
    if form is not None:
        wait = login_throttle.retry_after(user.username) if throttled else None
        if wait:
            errors["old_password"], status = _too_many_attempts(wait), 429
        elif form["new_password"] != form["new_password_again"]:
            errors["new_password_again"], status = _("Kata sandi baru tidak sama dengan ulangannya."), 422
        else:
            try:
                save(user)
            except ValidationFailed as exc:
                if throttled and "old_password" in exc.fields:
                    login_throttle.count_failure(user.username)  # guessing through this form counts too
                errors, status = {name: _(message) for name, message in exc.fields.items()}, 422
            else:
                start_session(user)
                flash(saved_message)
                return redirect(home_url(user.role), 303)
    headers = {"Retry-After": str(wait)} if status == 429 else {}
    return render_template(template, errors=errors, min_length=PASSWORD_MIN_LENGTH,
                           max_length=PASSWORD_MAX_LENGTH), status, headers


def register(app: Flask) -> None:
    login_throttle.configure(app)

    @app.before_request
    def _load_user():
        g.user = _session_user()

    @app.teardown_request
    def _unpin_election(_exc):
        if db.session.registry.has():  # a session this request used
            identity_read.unpin(db.session)

    @app.after_request
    def _tell_the_service_worker(response):
        key = session_cache_key()
        if key and response.status_code != 304:  # a live page's check: the worker never sees it (sw.js)
            response.headers[SESSION_HEADER] = key
        return response

    app.jinja_env.globals.update(current_user=current_user, session_cache_key=session_cache_key, can=can,
                                 Permission=Permission)
    app.register_blueprint(bp)


def session_cache_key() -> str:
    """The login's key for the field service worker's cache, "<sid>.<expires epoch>" ("" when logged out)."""
    expires_at = session_expires_at() if current_user() is not None else None
    sid = session.get("sid")
    return f"{sid}.{expires_at}" if expires_at is not None and isinstance(sid, str) else ""
