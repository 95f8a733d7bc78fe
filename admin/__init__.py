"""Administration pages, a blueprint per concern: accounts (`users`), setting up an area from its files and
the election settings (`setup`), the SMS log (`sms`)."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from admin import setup, sms, users

    for blueprint in (users.bp, setup.bp, sms.bp):
        app.register_blueprint(blueprint)
