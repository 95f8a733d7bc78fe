"""Jinja filters and helpers shared by every page."""
from __future__ import annotations

from flask import Flask

from logistics.rules.complaints import complaint_label
from logistics.rules.risk import reason_label
from siaga.election import local_time, local_zone
from siaga.forms import number_max, text_limit


def register(app: Flask) -> None:
    app.add_template_filter(local_time, "localtime")
    app.add_template_global(local_zone, "local_zone")
    # Listed complaints and a screening's stored risk reasons, in the reader's language (data stays as recorded).
    app.add_template_filter(complaint_label, "complaint")
    app.add_template_filter(reason_label, "risk_reason")
    app.add_template_global(text_limit, "text_limit")
    app.add_template_global(number_max, "number_max")
