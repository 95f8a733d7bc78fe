"""Administration pages (blueprints per concern): accounts (`users`). `BLUEPRINTS` is registered by
siaga/app.py `_register_pages`."""
from __future__ import annotations

from admin import users

BLUEPRINTS = (users.bp,)
