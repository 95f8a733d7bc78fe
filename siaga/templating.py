"""Jinja filters and helpers shared by every page."""
from __future__ import annotations

from flask import Flask

from siaga.election import local_time, local_zone
from siaga.forms import text_limit


def register(app: Flask) -> None:
    app.add_template_filter(local_time, "localtime")
    app.add_template_global(local_zone, "local_zone")
    app.add_template_global(text_limit, "text_limit")
