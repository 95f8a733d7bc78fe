"""API test helpers: bearer tokens made through the token service, and session log-in."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from logistics.actor import Actor
from logistics.models import User
from logistics.services.api_tokens import SCOPES, create_token
from siaga.auth import new_session_values

READ_ALL = [s for s in SCOPES if s.startswith("read:") and s != "read:health-pii"]


@pytest.fixture()
def bearer(session):
    """Authorization headers for a new token: bearer(scopes, agency=..., user=...)."""

    def make(scopes=READ_ALL, agency: str | None = "Dinkes", user: str | None = None) -> dict:
        _token, secret = create_token(session, Actor.system("test"), scopes=list(scopes),
                                      agency=None if user else agency, username=user)
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture()
def logged_in(client, session):
    """The test client with a browser session of `username`."""

    def log_in(username: str):
        user = session.scalar(select(User).where(User.username == username))
        with client.session_transaction() as browser:
            browser.update(new_session_values(user))
        return client

    return log_in


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    if code:
        assert body["error"]["code"] == code
    return body["error"]
