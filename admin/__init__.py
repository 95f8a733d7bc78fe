"""Administration pages, a blueprint per concern: accounts (`users`), setting up an area from its files and
the election settings (`setup`), elections (`elections`), the SMS log (`sms`), partners' API tokens and webhooks (`partners`)."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from admin import elections, partners, setup, sms, users

    for blueprint in (users.bp, setup.bp, sms.bp, partners.bp):
        app.register_blueprint(blueprint)
    elections.register(app)
