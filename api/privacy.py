"""What an API caller may see: which rows (lists filtered, details checked) and which personal fields.

Both are the read policy's (`logistics.permissions.read_scope`), applied here for every endpoint so
none can forget them. Personal fields are left out (absent, not null) of a row unless the caller
holds `read:health-pii` *and* the policy lets its actor see that row's personal fields (a medic: its
station's incidents; a kecamatan coordinator: its kecamatan's; an agency token: every row).
"""
from __future__ import annotations

from sqlalchemy import Select

from api.auth import current_caller
from logistics.models import Delivery, HealthIncident, MedicStation
from logistics.permissions.read_scope import PII, load_visible, personal_visible, visible, visible_ids
from siaga.extensions import db

PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "incident": frozenset({"patient_name", "notes"}),
    "delivery": frozenset({"notes", "received_by", "failure_reason"}),
    "medic_station": frozenset({"contact_phone"}),
}
MODELS = {"incident": HealthIncident, "delivery": Delivery, "medic_station": MedicStation}


def scoped(query: Select, model) -> Select:
    """`query` narrowed to the rows of `model` the caller may see."""
    return query.where(visible(db.session, current_caller().actor, model))


def load_in_scope(model, record_id: int, what: str):
    """One row: 404 when missing, 403 when out of the caller's scope (as on the pages)."""
    return load_visible(db.session, current_caller().actor, model, record_id, what)


def redact_all(kind: str, records: list[dict]) -> list[dict]:
    """`records` (dumped rows with their `id`) without the personal fields the caller may not see."""
    caller = current_caller()
    allowed: set[int] = set()
    if PII in caller.scopes:
        model = MODELS[kind]
        allowed = visible_ids(db.session, personal_visible(db.session, caller.actor, model), model,
                              (r["id"] for r in records))
    hidden = PERSONAL_FIELDS[kind]
    return [r if r["id"] in allowed else {k: v for k, v in r.items() if k not in hidden} for r in records]


def redact(kind: str, record: dict) -> dict:
    return redact_all(kind, [record])[0]
