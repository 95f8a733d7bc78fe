"""Administration pages, a blueprint per concern: accounts (`users`), setting up an area from its files and
the election settings (`setup`), the SMS log (`sms`), partners' API tokens and webhooks (`partners`). `BLUEPRINTS` is registered by siaga/app.py `_register_pages`."""
from __future__ import annotations

from admin import partners, setup, sms, users

BLUEPRINTS = (users.bp, setup.bp, sms.bp, partners.bp)
