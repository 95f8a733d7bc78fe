"""The first login with a one-time PIN (a login card): until the user has set their own password, every
page leads to /akun/sandi-baru (JSON callers get a 403), where the rules are stated and the PIN is
replaced (`logistics.services.accounts.set_first_password`)."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for

from logistics.services.accounts import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, set_first_password
from logistics.errors import ValidationFailed
from siaga.auth import current_actor, current_user, home_url, login_required, start_session
from siaga.extensions import db
from siaga.fields import FormSecret
from siaga.forms import FormSchema, with_form
from siaga.i18n import _

bp = Blueprint("first_login", __name__)
# What a user who must still replace their PIN may reach: this page, logging out, languages, files.
OPEN_ENDPOINTS = {"first_login.set_password", "auth.logout", "auth.login", "i18n.switch_language", "health.healthz",
                  "field.service_worker"}



class FirstPasswordForm(FormSchema):
    new_password = FormSecret(PASSWORD_MAX_LENGTH, required=True)
    new_password_again = FormSecret(PASSWORD_MAX_LENGTH, required=True)


@bp.route("/akun/sandi-baru", methods=["GET", "POST"])
@login_required()
@with_form(FirstPasswordForm, inline_errors=True)
def set_password(form: dict | None, form_errors: dict):
    user = current_user()
    if not user.must_change_password:
        if request.method == "POST":
            abort(403)
        return redirect(home_url(user.role))
    errors, status = dict(form_errors), 422 if form_errors else 200
    if form is not None:
        if form["new_password"] != form["new_password_again"]:
            errors["new_password_again"], status = _("Kata sandi baru tidak sama dengan ulangannya."), 422
        else:
            try:
                set_first_password(db.session, current_actor(), user.id, form["new_password"])
            except ValidationFailed as exc:
                errors, status = {name: _(message) for name, message in exc.fields.items()}, 422
            else:
                start_session(user)  # the new session version: this browser stays logged in
                flash(_("Kata sandi disimpan. Selamat bertugas!"))
                return redirect(home_url(user.role), 303)
    return render_template("auth/first_password.html", errors=errors, min_length=PASSWORD_MIN_LENGTH,
                           max_length=PASSWORD_MAX_LENGTH), status


def _must_change_first():
    """Before every request: a user still on their one-time PIN goes to the new-password page."""
    user = current_user()
    if user is None or not user.must_change_password:
        return None
    endpoint = request.endpoint or ""
    if endpoint in OPEN_ENDPOINTS or endpoint == "static" or endpoint.endswith(".static"):
        return None
    from siaga.errors import wants_json

    if wants_json():
        abort(403, _("Buat kata sandi baru terlebih dahulu."))
    if request.method == "GET":
        flash(_("Buat kata sandi baru terlebih dahulu."))
    return redirect(url_for("first_login.set_password"), 303)


def register(app: Flask) -> None:
    app.before_request(_must_change_first)  # after siaga.auth's, which loads the user
    app.register_blueprint(bp)
