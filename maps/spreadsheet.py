"""CSV and XLSX writers for the exports, safe against spreadsheet formula injection."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from siaga.fields import CONTROL_CHARACTERS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text as a spreadsheet may hold it: without control characters (input refuses them, but rows stored
    before may have them, and one makes an XLSX unwritable), and with a leading apostrophe on what a
    spreadsheet would run as a formula (OWASP's advice), judged after the control characters are gone."""
    if not isinstance(value, str):
        return value
    value = CONTROL_CHARACTERS.sub("", value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text in chunks of a few hundred rows, for a streamed response (UTF-8 BOM for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for n, row in enumerate(rows, 1):
        writer.writerow(["" if v is None else neutralise(v) for v in row])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(title: str, header: list[str], rows: Iterable[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
