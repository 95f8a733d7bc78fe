"""Per-agency privacy: personal fields only for callers with the read:health-pii scope.

Left out (absent, not null) for everyone else: patient names, people's names and phones, and
free-text notes that may carry either.
"""
from __future__ import annotations

from api.auth import current_caller

PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "incident": frozenset({"patient_name", "notes"}),
    "delivery": frozenset({"notes", "received_by", "failure_reason"}),
    "medic_station": frozenset({"contact_phone"}),
}


def redact(kind: str, record: dict) -> dict:
    """`record` without the personal fields of `kind`, unless the caller may see them."""
    if current_caller().sees_pii:
        return record
    hidden = PERSONAL_FIELDS[kind]
    return {key: value for key, value in record.items() if key not in hidden}


def redact_all(kind: str, records: list[dict]) -> list[dict]:
    return [redact(kind, r) for r in records]
