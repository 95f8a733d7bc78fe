"""Jinja filters shared by every page."""
from __future__ import annotations

from flask import Flask

from logistics.timeutil import format_wib


def register(app: Flask) -> None:
    app.add_template_filter(format_wib, "wib")
