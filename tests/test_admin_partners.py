"""/admin/mitra: an admin makes partner tokens with scopes and an expiry (the secret shown once), sees their
last use, revokes them; tokens expire; webhook subscriptions are made and disabled there too."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from logistics.models import ApiToken, WebhookSubscription
from logistics.timeutil import utcnow
from tests.field_client import csrf_from, log_in_as


def post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_from(client, "/admin/mitra"), **data})


def make_token(client, **overrides):
    data = {"name": "Dinkes dashboard", "agency": "Dinkes", "scopes": ["read:tps", "read:incidents"],
            "expires_in_days": "30", **overrides}
    response = post(client, "/admin/mitra/token", data)
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    assert response.headers["Cache-Control"] == "no-store"
    return re.search(r'id="new-token-secret">([^<]+)<', response.get_data(as_text=True)).group(1)


def test_an_admin_makes_a_token_that_works_shows_its_use_and_is_revoked(app, client, session):
    log_in_as(client, session, "admin")
    secret = make_token(client)
    token = session.scalar(select(ApiToken).where(ApiToken.prefix == secret[:12]))
    assert token.scopes == ["read:incidents", "read:tps"]
    assert timedelta(days=29) < token.expires_at - token.created_at <= timedelta(days=30)

    api = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/tps?limit=1", headers=bearer).status_code == 200
    assert api.get("/api/v1/deliveries?limit=1", headers=bearer).status_code == 403  # not its scope
    page = client.get("/admin/mitra").get_data(as_text=True)
    assert secret not in page  # shown once only
    assert token.prefix in page and "belum pernah" not in page.split(token.prefix)[1].split("</tr>")[0]

    assert post(client, f"/admin/mitra/token/{token.id}/cabut", {}).status_code == 303
    assert api.get("/api/v1/tps?limit=1", headers=bearer).status_code == 401


def test_an_expired_token_is_refused(app, client, session):
    log_in_as(client, session, "admin")
    secret = make_token(client)
    session.execute(update(ApiToken).where(ApiToken.prefix == secret[:12]).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert app.test_client().get("/api/v1/tps?limit=1", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "kedaluwarsa" in client.get("/admin/mitra").get_data(as_text=True)


def test_bad_expiry_and_non_admins_are_refused(client, session):
    log_in_as(client, session, "admin")
    assert post(client, "/admin/mitra/token", {"name": "x", "agency": "KPU", "scopes": ["read:tps"],
                                               "expires_in_days": "0"}).status_code == 422
    assert post(client, "/admin/mitra/token", {"name": "x", "agency": "KPU", "scopes": ["read:tps"]}).status_code == 422
    log_in_as(client, session, "koordinator")
    assert client.get("/admin/mitra").status_code == 403


def test_an_admin_subscribes_a_webhook_and_disables_it(client, session):
    log_in_as(client, session, "admin")
    make_token(client)
    response = post(client, "/admin/mitra/webhook", {"agency": "Dinkes", "url": "https://dinkes.example/siaga",
                                                     "kinds": ["incident.reported", "incident.closed"]})
    assert response.status_code == 201
    secret = re.search(r'id="new-webhook-secret">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert secret.startswith("whsec_")
    subscription = session.scalar(select(WebhookSubscription).order_by(WebhookSubscription.id.desc()))
    assert subscription.kinds == ["incident.closed", "incident.reported"] and subscription.secret == secret
    assert secret not in client.get("/admin/mitra").get_data(as_text=True)
    assert post(client, f"/admin/mitra/webhook/{subscription.id}/nonaktifkan", {}).status_code == 303
    session.refresh(subscription)
    assert subscription.disabled_reason == "revoked"
