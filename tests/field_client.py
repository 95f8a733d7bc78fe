"""Test-client helpers for the field pages: log in as a demo account, post a form with its CSRF token."""
import re

from sqlalchemy import select

from logistics.models import User
from siaga.auth import new_session_values


def log_in_as(client, session, username: str):
    user = session.scalar(select(User).where(User.username == username))
    with client.session_transaction() as s:
        s.update(new_session_values(user))
    return user


def csrf_from(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post_form(client, url: str, data: dict, key: str | None = None, json: bool = False):
    """Post like the field pages do: CSRF token, optional idempotency key, optional JSON answer."""
    form = {"csrf_token": csrf_from(client), **data}
    if key:
        form["idempotency_key"] = key
    headers = {"Accept": "application/json"} if json else {}
    return client.post(url, data=form, headers=headers)
