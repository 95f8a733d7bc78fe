"""Jinja filters and helpers shared by every page."""
from __future__ import annotations

from flask import Flask

from logistics.rules.complaints import complaint_label
from logistics.rules.risk import reason_label
from logistics.timeutil import format_wib
from siaga.forms import number_max, text_limit


def register(app: Flask) -> None:
    app.add_template_filter(format_wib, "wib")
    # Listed complaints and a screening's stored risk reasons, in the reader's language (data stays as recorded).
    app.add_template_filter(complaint_label, "complaint")
    app.add_template_filter(reason_label, "risk_reason")
    app.add_template_global(text_limit, "text_limit")
    app.add_template_global(number_max, "number_max")
