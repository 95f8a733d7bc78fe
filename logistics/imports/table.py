"""Reading a CSV or XLSX sheet as rows of {column: text}, with header aliases."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RowError:
    row: int  # as the user sees it in the file: the header is row 1
    column: str
    message: str


class UnreadableFile(ValueError):
    pass


def _normalise(header: str) -> str:
    return "_".join(str(header or "").strip().lower().replace("-", " ").replace(".", " ").split())


def read_rows(path: Path, aliases: dict[str, tuple[str, ...]]) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """(canonical columns found, iterator of (row number, {canonical column: stripped text}))."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw_rows = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        raw_rows = _csv_rows(path)
    else:
        raise UnreadableFile(f"format {suffix or '(none)'} tidak didukung: pakai .csv atau .xlsx")
    try:
        header = next(raw_rows)
    except StopIteration:
        raise UnreadableFile("berkas kosong / empty file") from None
    lookup = {alias: canon for canon, names in aliases.items() for alias in (canon, *names)}
    columns = [lookup.get(_normalise(h)) for h in header]

    def rows():
        for number, values in enumerate(raw_rows, start=2):
            cells = ["" if v is None else str(v).strip() for v in values]
            if not any(cells):
                continue  # blank lines are not rows
            yield number, {c: cells[i] if i < len(cells) else "" for i, c in enumerate(columns) if c}

    return [c for c in columns if c], rows()


def _csv_rows(path: Path):
    text = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):  # Excel on Windows still writes cp1252 CSVs
        try:
            decoded = text.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    dialect = csv.Sniffer().sniff(decoded[:4096], delimiters=",;\t") if decoded.strip() else csv.excel
    return iter(csv.reader(io.StringIO(decoded), dialect))


def _xlsx_rows(path: Path):
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise UnreadableFile(f"XLSX tidak bisa dibaca: {exc}") from exc
    sheet = book.worksheets[0]
    return (tuple(_cell_text(v) for v in row) for row in sheet.iter_rows(values_only=True))


def _cell_text(value) -> str | None:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 7 as 7.0
    return None if value is None else str(value)
