"""Input fields that refuse values the database or the clock cannot hold (422, never a 500)."""
from __future__ import annotations

from datetime import date

import marshmallow as ma

from logistics.timeutil import as_utc

MAX_ID = 2**31 - 1
ID_PATH = f"int(max={MAX_ID})"  # for URL rules: <int(max=...):record_id>


class Id(ma.fields.Integer):
    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(1, MAX_ID))
        super().__init__(strict=kwargs.pop("strict", False), **kwargs)


class Moment(ma.fields.AwareDateTime):
    """An ISO 8601 time with a zone, between the years 1900 and 2200."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = as_utc(moment)
        except (OverflowError, ValueError):
            raise ma.ValidationError("Waktu di luar jangkauan / time out of range.")
        if not 1900 <= utc.year <= 2200:
            raise ma.ValidationError("Waktu di luar jangkauan / time out of range.")
        return moment


class Day(ma.fields.Date):
    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(date(1900, 1, 1), date(2200, 1, 1)))
        super().__init__(**kwargs)
