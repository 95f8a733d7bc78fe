"""The first login with a one-time PIN (a login card): until the user has set their own password, every
page leads to /akun/sandi-baru (JSON callers get a 403), where the rules are stated and the PIN is
replaced (`logistics.services.accounts.set_first_password`)."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, request, url_for

from logistics.services.accounts import PASSWORD_MAX_LENGTH, set_first_password
from siaga.auth import current_actor, current_user, home_url, login_required, password_page
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
@login_required
@with_form(FirstPasswordForm, inline_errors=True)
def set_password(form: dict | None, form_errors: dict):
    user = current_user()
    if not user.must_change_password:
        if request.method == "POST":
            abort(403)
        return redirect(home_url(user.role))
    return password_page(
        form, form_errors, "auth/first_password.html", _("Kata sandi disimpan. Selamat bertugas!"),
        lambda user: set_first_password(db.session, current_actor(), user.id, form["new_password"]))


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
