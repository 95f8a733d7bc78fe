"""Query strings: a parameter the operation does not declare, or a format it does not offer, is a 400
naming it — a typo (`?kode_kemendagri=` for `?kecamatan=`) must never silently answer the whole list.

Every API operation's query schema derives from `QueryArgs` (one with no parameter of its own is
`NoQuery`); `lang` (the language of messages, siaga/i18n.py) is accepted everywhere.
"""
from __future__ import annotations

import marshmallow as ma

from logistics.errors import DomainError
from siaga.i18n import _

ALWAYS_ALLOWED = frozenset({"lang"})


class BadParameter(DomainError):
    http_status = 400
    code = "bad_parameter"


class QueryArgs(ma.Schema):
    # Formats this operation offers (FormatArgs sets it); any other `format` value is a 400.
    formats: tuple[str, ...] = ()

    @ma.pre_load
    def _refuse_unknown(self, data, **_kwargs):
        known = {field.data_key or name for name, field in self.load_fields.items()} | ALWAYS_ALLOWED
        unknown = sorted(name for name in data if name not in known)
        if unknown:
            raise BadParameter(_("Parameter tidak dikenal: {names}", names=", ".join(unknown)),
                               {name: _("Parameter ini tidak ada pada operasi ini.") for name in unknown})
        if "format" in data and data["format"] not in self.formats:
            raise BadParameter(_("Format tidak tersedia: {format}", format=data["format"]),
                               {"format": _("Pilih dari: {choices}", choices=", ".join(self.formats))})
        return data


class NoQuery(QueryArgs):
    """For an operation without query parameters (one record by id)."""
