"""/admin/mitra: partners' access. API tokens (create with scopes and an expiry — the secret shown once —,
list with their last use, revoke) and webhook subscriptions (create — the signing secret shown once —, disable,
and the delivery log). The same services as `flask create-token` / `revoke-token`
(logistics/services/api_tokens.py) and logistics/services/webhooks.py.

The posts that make a secret are deliberately not `@idempotent`: a stored replay would keep the secret in the
idempotency store. They answer with the page itself, `Cache-Control: no-store`, the one time the secret is shown.
"""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for

from admin.users import NoFields
from logistics.models import ApiToken, WebhookSubscription
from logistics.permissions import Permission
from logistics.services import api_tokens, webhooks
from logistics.timeutil import utcnow
from siaga.auth import current_actor, requires
from siaga.election import local_time
from siaga.extensions import db
from siaga.fields import ID_PATH, FormChoice, FormInt, FormList, FormText
from siaga.forms import FormSchema, with_form
from siaga.i18n import _

bp = Blueprint("admin_partners", __name__, url_prefix="/admin/mitra", template_folder="templates")


class TokenForm(FormSchema):
    name = FormText(ApiToken.name, required=True)
    agency = FormText(ApiToken.agency)
    username = FormText(60)
    scopes = FormList(FormChoice(list(api_tokens.SCOPES)), required=True)
    expires_in_days = FormInt(1, api_tokens.MAX_EXPIRY_DAYS, required=True)


class WebhookForm(FormSchema):
    agency = FormText(WebhookSubscription.agency, required=True)
    url = FormText(WebhookSubscription.url, required=True)
    kinds = FormList(FormChoice(list(webhooks.KINDS)), required=True)


def _page(status: int = 200, **shown):
    now = utcnow()
    response = make_response(render_template(
        "admin/partners.html", tokens=api_tokens.list_tokens(db.session), now=now, when=local_time,
        scopes=api_tokens.SCOPES, kinds=webhooks.KINDS, default_days=api_tokens.DEFAULT_EXPIRY_DAYS,
        max_days=api_tokens.MAX_EXPIRY_DAYS, subscriptions=webhooks.list_subscriptions(db.session),
        attempts=webhooks.recent_attempts(db.session), **shown), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@requires(Permission.TOKEN_ADMIN)
def index():
    return _page()


@bp.post("/token")
@requires(Permission.TOKEN_ADMIN)
@with_form(TokenForm)
def create_token(form: dict):
    token, secret = api_tokens.create_token(
        db.session, current_actor(), scopes=form["scopes"], agency=form.get("agency") or None,
        username=form.get("username") or None, name=form["name"], expires_in_days=form["expires_in_days"])
    return _page(201, new_token=token, new_secret=secret)


@bp.post(f"/token/<{ID_PATH}:token_id>/cabut")
@requires(Permission.TOKEN_ADMIN)
@with_form(NoFields)
def revoke_token(token_id: int, form: dict):
    token = api_tokens.revoke_token(db.session, current_actor(), token_id)
    flash(_("Token {prefix}… dicabut.", prefix=token.prefix))
    return redirect(url_for("admin_partners.index"), 303)


@bp.post("/webhook")
@requires(Permission.TOKEN_ADMIN)
@with_form(WebhookForm)
def create_webhook(form: dict):
    subscription, secret = webhooks.create_subscription(db.session, current_actor(), agency=form["agency"],
                                                        url=form["url"], kinds=form["kinds"])
    return _page(201, new_webhook=subscription, new_webhook_secret=secret)


@bp.post(f"/webhook/<{ID_PATH}:subscription_id>/nonaktifkan")
@requires(Permission.TOKEN_ADMIN)
@with_form(NoFields)
def disable_webhook(subscription_id: int, form: dict):
    webhooks.disable_subscription(db.session, current_actor(), subscription_id)
    flash(_("Webhook dinonaktifkan."))
    return redirect(url_for("admin_partners.index"), 303)
