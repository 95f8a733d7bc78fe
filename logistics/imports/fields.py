"""Parsing one cell, with a Bahasa Indonesia message when it is wrong."""
from __future__ import annotations

import re
from logistics.texts import lazy_gettext

KELURAHAN_CODE = re.compile(r"^(\d{2})\.?(\d{2})\.?(\d{2})\.?(\d{4})$")
THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")  # 1.234 is one thousand two hundred and thirty-four


class CellError(ValueError):
    pass


def required(value: str) -> str:
    if not value:
        raise CellError(lazy_gettext("wajib diisi"))
    return value


def integer(value: str, low: int, high: int) -> int:
    value = required(value)
    try:
        number = int(value.replace(".", "") if THOUSANDS.match(value) else value)
    except ValueError:
        raise CellError(lazy_gettext("harus bilangan bulat, bukan {value}", value=repr(value))) from None
    if not low <= number <= high:
        raise CellError(lazy_gettext("harus antara {low} dan {high}", low=low, high=high))
    return number


def decimal(value: str, low: float, high: float) -> float:
    try:
        number = float(required(value).replace(",", "."))
    except ValueError:
        raise CellError(lazy_gettext("harus angka desimal, bukan {value}", value=repr(value))) from None
    if not low <= number <= high:
        raise CellError(lazy_gettext("harus antara {low} dan {high}", low=low, high=high))
    return number


def kelurahan_code(value: str) -> str:
    """Kemendagri code, with or without dots: 19.71.01.1004 or 1971011004."""
    match = KELURAHAN_CODE.match(required(value).replace(" ", ""))
    if not match:
        raise CellError(lazy_gettext("kode Kemendagri tidak valid: {value} (contoh 19.71.01.1004)", value=repr(value)))
    return ".".join(match.groups())


def text(value: str, max_length: int) -> str:
    if len(required(value)) > max_length:
        raise CellError(lazy_gettext("paling banyak {n} huruf", n=max_length))
    return value
