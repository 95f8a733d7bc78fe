"""Jinja filters and helpers shared by every page."""
from __future__ import annotations

from flask import Flask

from logistics.timeutil import format_wib
from siaga.forms import number_max, text_limit


def register(app: Flask) -> None:
    app.add_template_filter(format_wib, "wib")
    app.add_template_global(text_limit, "text_limit")
    app.add_template_global(number_max, "number_max")
