"""Typed errors raised by the service layer; the web layers map them to HTTP statuses."""
from __future__ import annotations

from logistics.texts import lazy_gettext, lazy_pgettext


class DomainError(Exception):
    http_status = 400
    code = "domain_error"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    http_status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    """The actor's role or scope does not cover this record."""

    http_status = 403
    code = "forbidden"


class InvalidTransition(DomainError):
    """The requested status change is not allowed from the record's current status."""

    http_status = 409
    code = "invalid_transition"


class ValidationFailed(DomainError):
    """One or more values are wrong; `fields` maps each field to its message."""

    http_status = 422
    code = "validation_failed"


# The names `load` and `require_transition` callers give their records, as lazy texts for the messages.
RECORD_NAMES = {
    "Giliran jaga": lazy_pgettext("record", "Giliran jaga"), "Kecamatan": lazy_pgettext("record", "Kecamatan"),
    "Kejadian": lazy_pgettext("record", "Kejadian"), "Pemeriksaan": lazy_pgettext("record", "Pemeriksaan"),
    "Pengguna": lazy_pgettext("record", "Pengguna"), "Pengiriman": lazy_pgettext("record", "Pengiriman"),
    "Petugas": lazy_pgettext("record", "Petugas"), "Pos kesehatan": lazy_pgettext("record", "Pos kesehatan"),
    "TPS": lazy_pgettext("record", "TPS"), "Token": lazy_pgettext("record", "Token"),
}


def record_name(what: str):
    """`what` as a text people read in their language (a name not listed stays as given)."""
    return RECORD_NAMES.get(what, what)


def not_found(what: str, record_id) -> NotFound:
    """The one message for a record that does not exist ("TPS 7 tidak ditemukan")."""
    return NotFound(lazy_gettext("{what} {id} tidak ditemukan", what=record_name(what), id=record_id))


def out_of_scope(what: str, record_id) -> PermissionDenied:
    """The one message for a record outside the actor's area ("TPS 7 di luar wilayah Anda")."""
    return PermissionDenied(lazy_gettext("{what} {id} di luar wilayah Anda", what=record_name(what), id=record_id))
