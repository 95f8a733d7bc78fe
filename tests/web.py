"""Helpers for page tests: log a test client in, read a form's CSRF token."""
import re

from sqlalchemy import select

from logistics.models import User


def logged_in(client, session, username):
    user = session.scalar(select(User).where(User.username == username))
    with client.session_transaction() as s:
        s["user_id"] = user.id
    return client


def csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
