"""The moment a post was tapped, as the phone sends it: the `tapped_at` form field (field.js stamps it
at the tap and keeps it in the queued submission) or, from API clients, the `Tapped-At` header; ISO 8601
with a time zone. The bounds (clock skew, age) are the rule's: logistics/rules/tapped.py."""
from __future__ import annotations

from datetime import datetime

from flask import request

from logistics.errors import ValidationFailed
from logistics.rules.tapped import Tapped, bound_tapped
from logistics.timeutil import utcnow
from siaga.i18n import _

TAPPED_FIELD = "tapped_at"
TAPPED_HEADER = "Tapped-At"


def request_tapped() -> Tapped | None:
    """The request's tap moment, bounded against the time it is received; None when it says none.
    A malformed one is a ValidationFailed naming the field (a 4xx, never believed nor ignored)."""
    text = (request.form.get(TAPPED_FIELD) or request.headers.get(TAPPED_HEADER) or "").strip()
    if not text:
        return None
    try:
        claimed = datetime.fromisoformat(text) if len(text) <= 40 else None
    except ValueError:
        claimed = None
    if claimed is None or claimed.tzinfo is None or not 1900 <= claimed.year <= 2200:
        message = _("Waktu ketuk tidak valid (ISO 8601 dengan zona waktu).")
        raise ValidationFailed(message, {TAPPED_FIELD: message})
    return bound_tapped(claimed, utcnow())
