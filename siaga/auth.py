"""Session login for the browser pages: log in, log out, who is acting, and role checks.

The JSON API authenticates separately (bearer tokens); browsers keep this cookie session.
"""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import (
    Blueprint, Flask, abort, flash, g, redirect, render_template, request, session, url_for,
)

from logistics.actor import Actor
from logistics.models import Role, User
from logistics.services.accounts import authenticate
from siaga.extensions import db
from siaga.i18n import _, register_english

bp = Blueprint("auth", __name__)
SESSION_LIFETIME = timedelta(hours=30)  # an election-day shift, with margin
_HOME_ENDPOINTS: dict[Role, str] = {}

register_english({
    "Masuk": "Log in",
    "Keluar": "Log out",
    "Nama pengguna": "Username",
    "Kata sandi": "Password",
    "Nama pengguna atau kata sandi salah.": "Wrong username or password.",
    "Isi nama pengguna dan kata sandi.": "Enter your username and password.",
    "Silakan masuk terlebih dahulu.": "Please log in first.",
    "Anda sudah keluar.": "You have logged out.",
})


def register_home(role: Role, endpoint: str) -> None:
    """Where a role lands after logging in (blueprints call this when they are registered)."""
    _HOME_ENDPOINTS[role] = endpoint


def home_url(role: Role) -> str:
    endpoint = _HOME_ENDPOINTS.get(role)
    return url_for(endpoint) if endpoint else url_for("home.index")


def current_user() -> User | None:
    return g.get("user")


def current_actor() -> Actor | None:
    user = current_user()
    return Actor.from_user(user) if user else None


def kecamatan_scope() -> list[int] | None:
    """The kecamatan the current user may see: one for a kecamatan coordinator, None for the city
    (the read policy's `kecamatan_ids`)."""
    from logistics.permissions.read_scope import kecamatan_ids

    return kecamatan_ids(current_actor())


def chosen_kecamatan_ids() -> list[int] | None:
    """The user's scope, narrowed by `?kecamatan=` when given (never widened: another kecamatan is a 403)."""
    scope = kecamatan_scope()
    chosen = request.args.get("kecamatan", type=int)
    if chosen is None:
        return scope
    if scope is not None and chosen not in scope:
        abort(403)
    return [chosen]


def login_required(*roles: Role):
    """Require a logged-in user, and one of `roles` when given (admins always pass)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                from siaga.errors import wants_json

                if wants_json():
                    abort(401)
                flash(_("Silakan masuk terlebih dahulu."))
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles and user.role != Role.ADMIN:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _safe_next(target: str | None) -> str | None:
    return target if target and target.startswith("/") and not target.startswith("//") else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username or not password:
            error = _("Isi nama pengguna dan kata sandi.")
        else:
            user = authenticate(db.session, username, password)
            if user is None:
                error = _("Nama pengguna atau kata sandi salah.")
            else:
                session.clear()
                session.permanent = True
                session["user_id"] = user.id
                return redirect(_safe_next(request.args.get("next")) or home_url(user.role))
    status = 400 if error else 200
    return render_template("auth/login.html", error=error), status


@bp.post("/logout")
def logout():
    session.clear()
    flash(_("Anda sudah keluar."))
    return redirect(url_for("auth.login"))


def register(app: Flask) -> None:
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", SESSION_LIFETIME)

    @app.before_request
    def _load_user():
        user_id = session.get("user_id")
        user = db.session.get(User, user_id) if isinstance(user_id, int) else None
        if user is not None and not user.active:
            session.clear()
            user = None
        g.user = user

    app.jinja_env.globals.update(current_user=current_user)
    app.register_blueprint(bp)
