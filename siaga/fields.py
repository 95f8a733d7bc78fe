"""Input field types shared by the partner API and the HTML forms: values the database or the clock
cannot hold are refused as a field error (a 4xx), never passed on to become a 500.

The API's schemas (`api/resources/*.py`, through `api.fields`) use `Id`, `Moment` and `Day`; the pages'
form and query schemas (`siaga.forms`) use the `Form*` types, whose messages are Bahasa Indonesia,
translated when they are raised (so in the requester's language).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import Enum

import marshmallow as ma

from logistics.models.base import max_length
from logistics.timeutil import as_utc
from siaga.i18n import _

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER; SQLite would take more, but then PostgreSQL would not
ID_PATH = f"int(max={MAX_ID})"  # for URL rules: f"/tps/<{ID_PATH}:tps_id>" (a larger id is a 404)
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 1, 1)  # dates and times outside are refused
NOTES_MAX = 2000  # free text in Text columns (notes): as the API allows



# --- the API's field types (api.fields re-exports them) ---

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
            raise ma.ValidationError(_("Waktu di luar jangkauan."))
        if not FIRST_DAY.year <= utc.year <= LAST_DAY.year:
            raise ma.ValidationError(_("Waktu di luar jangkauan."))
        return moment


class Day(ma.fields.Date):
    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(FIRST_DAY, LAST_DAY))
        super().__init__(**kwargs)


# --- the HTML forms' and query strings' field types ---
# A form sends text for everything; an empty input counts as not given (siaga.forms drops it).

# Control characters other than tab and line breaks: NUL (PostgreSQL text cannot hold it), the C0 set XML 1.0
# forbids (an XLSX export with one cannot be written: openpyxl refuses the cell), DEL and the C1 set (invisible,
# pasted from other systems). No field a person types needs them. One rule for forms, the API's JSON bodies
# (api/body_guard.py) and the exports (maps/spreadsheet.py, for rows stored before it).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def bad_text(value: str) -> bool:
    """A control character (CONTROL_CHARACTERS) or a lone surrogate (no UTF-8 for it)."""
    if CONTROL_CHARACTERS.search(value):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class Translated:
    """Marshmallow's own errors (required, null, wrong type) in Bahasa Indonesia, in the asker's language."""

    default_error_messages = {"required": "Wajib diisi.", "null": "Wajib diisi.", "invalid": "Isian tidak valid."}

    def make_error(self, key: str, **kwargs) -> ma.ValidationError:
        return ma.ValidationError(_(self.error_messages[key]))


class FormInt(Translated, ma.fields.Field):
    """A whole number typed into a form, within [low, high] (by default what an INTEGER column holds)."""

    DIGITS = re.compile(r"[+-]?[0-9]+")

    def __init__(self, low: int = 0, high: int = MAX_ID, **kwargs):
        super().__init__(**kwargs)
        self.low, self.high = low, high

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        text = str(value).strip()
        in_range = _("Isi angka {low} sampai {high}.", low=self.low, high=self.high)
        if not self.DIGITS.fullmatch(text):
            # "from 50 to 300" says more than "a whole number", unless the range is only the column's.
            raise ma.ValidationError(_("Isi dengan angka bulat.") if self.high == MAX_ID else in_range)
        digits = text.lstrip("+-").lstrip("0")
        # Compare lengths first: int() of 4,300+ digits is a ValueError of its own.
        if len(digits) > len(str(MAX_ID)) or not self.low <= int(text) <= self.high:
            raise ma.ValidationError(in_range)
        return int(text)


class FormId(FormInt):
    """A record's id chosen in a form or a query string."""

    def __init__(self, **kwargs):
        super().__init__(1, MAX_ID, **kwargs)


def column_length(column) -> int:
    """The length of a model's String(n) column (`Delivery.failure_reason`); NOTES_MAX for Text."""
    return max_length(column) or NOTES_MAX


class Text(ma.fields.String):
    """The API's text for a column: as long as its String(n) (`Text(Delivery.received_by)`), at least
    `min_length` characters."""

    def __init__(self, column, *, min_length: int | None = None, **kwargs):
        kwargs.setdefault("validate", ma.validate.Length(min=min_length, max=column_length(column)))
        super().__init__(**kwargs)


class FormText(Translated, ma.fields.Field):
    """Text for a column (`FormText(Delivery.failure_reason)`: as long as its String(n)) or of a given
    length, stripped, without NUL or lone surrogates."""

    def __init__(self, max_length, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length if isinstance(max_length, int) else column_length(max_length)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        text = value.strip()
        if bad_text(text):
            raise ma.ValidationError(_("Teks berisi karakter yang tidak sah."))
        if len(text) > self.max_length:
            raise ma.ValidationError(_("Paling banyak {n} karakter.", n=self.max_length))
        return text


class FormSecret(FormText):
    """A password or PIN: like FormText, but kept as typed (spaces are part of a secret)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        super()._deserialize(value, attr, data, **kwargs)  # the checks, on the stripped text
        if len(value) > self.max_length:
            raise ma.ValidationError(_("Paling banyak {n} karakter.", n=self.max_length))
        return value


class FormChoice(Translated, ma.fields.Field):
    """One of a fixed list: an Enum's values (loaded as the member) or plain strings."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.enum = choices if isinstance(choices, type) and issubclass(choices, Enum) else None
        self.choices = {m.value: m for m in choices} if self.enum else {c: c for c in choices}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or value.strip() not in self.choices:
            raise ma.ValidationError(_("Pilih salah satu dari daftar."))
        return self.choices[value.strip()]


class FormDay(Translated, ma.fields.Field):
    """A date as <input type="date"> sends it (YYYY-MM-DD), between 1900 and 2200."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        try:
            day = date.fromisoformat(str(value).strip()) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value).strip()) else None
        except ValueError:
            day = None
        if day is None or not FIRST_DAY <= day <= LAST_DAY:
            raise ma.ValidationError(_("Tanggal tidak valid (TTTT-BB-HH)."))
        return day


class FormClock(Translated, ma.fields.Field):
    """A time of day as <input type="time"> sends it (HH:MM, seconds allowed)."""

    def _deserialize(self, value, attr, data, **kwargs) -> time:
        text = str(value).strip()
        try:
            if not re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", text):
                raise ValueError(text)
            return time.fromisoformat(text)
        except ValueError:
            raise ma.ValidationError(_("Waktu tidak valid."))


class FormLocalMoment(Translated, ma.fields.Field):
    """<input type="datetime-local">: wall-clock time in the deployment's zone (`siaga.election.local_zone`);
    years 1900 to 2200."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        from siaga.election import local_zone

        text = str(value).strip()
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?", text):
                raise ValueError(text)
            moment = datetime.fromisoformat(text).replace(tzinfo=local_zone().tz)
            if not FIRST_DAY <= as_utc(moment).date() <= LAST_DAY:
                raise ValueError(text)
        except (ValueError, OverflowError):
            raise ma.ValidationError(_("Waktu tidak valid."))
        return moment


class FormFlag(Translated, ma.fields.Field):
    """A checkbox or a `?partial=1`: one of the usual spellings of "yes"."""

    YES = ("1", "true", "on", "yes")

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, str) or value.strip().lower() not in self.YES:
            raise ma.ValidationError(_("Isian tidak valid."))
        return True


class FormList(Translated, ma.fields.List):
    """Several values of one name (checkboxes)."""
