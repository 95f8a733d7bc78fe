"""Typed errors raised by the service layer; the web layers map them to HTTP statuses."""
from __future__ import annotations


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
