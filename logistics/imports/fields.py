"""Parsing one cell, with a Bahasa Indonesia message when it is wrong."""
from __future__ import annotations

import re

KELURAHAN_CODE = re.compile(r"^(\d{2})\.?(\d{2})\.?(\d{2})\.?(\d{4})$")
THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")  # 1.234 is one thousand two hundred and thirty-four


class CellError(ValueError):
    pass


def required(value: str) -> str:
    if not value:
        raise CellError("wajib diisi")
    return value


def integer(value: str, low: int, high: int) -> int:
    value = required(value)
    try:
        number = int(value.replace(".", "") if THOUSANDS.match(value) else value)
    except ValueError:
        raise CellError(f"harus bilangan bulat, bukan {value!r}") from None
    if not low <= number <= high:
        raise CellError(f"harus antara {low} dan {high}")
    return number


def decimal(value: str, low: float, high: float) -> float:
    try:
        number = float(required(value).replace(",", "."))
    except ValueError:
        raise CellError(f"harus angka desimal, bukan {value!r}") from None
    if not low <= number <= high:
        raise CellError(f"harus antara {low} dan {high}")
    return number


def kelurahan_code(value: str) -> str:
    """Kemendagri code, with or without dots: 19.71.01.1004 or 1971011004."""
    match = KELURAHAN_CODE.match(required(value).replace(" ", ""))
    if not match:
        raise CellError(f"kode Kemendagri tidak valid: {value!r} (contoh 19.71.01.1004)")
    return ".".join(match.groups())


def text(value: str, max_length: int) -> str:
    if len(required(value)) > max_length:
        raise CellError(f"paling banyak {max_length} huruf")
    return value
