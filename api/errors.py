"""The API's one error shape, as an OpenAPI schema (siaga/errors.py renders it)."""
from __future__ import annotations

import marshmallow as ma


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "validation_failed"})
    message = ma.fields.String(required=True, metadata={
        "example": "Laporan kejadian tidak lengkap",
        "description": "In Bahasa Indonesia; in English with ?lang=en (or the lang cookie). Programs read `code`."})
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True,
                            metadata={"example": {"triage": "Must be one of: hijau, kuning, merah, hitam."}})


class ErrorSchema(ma.Schema):
    """Every 4xx: 400, 401, 403, 404, 405, 409, 413, 422, 429."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)

