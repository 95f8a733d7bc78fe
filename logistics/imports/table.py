"""Reading a CSV or XLSX sheet as rows of {column: text}, with header aliases."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from logistics.imports.archive import without_paths
from logistics.texts import lazy_gettext


@dataclass(frozen=True)
class RowError:
    row: int  # as the user sees it in the file: the header is row 1
    column: str
    message: object  # a text (lazy: shown in the reader's language)


class UnreadableFile(ValueError):
    pass


def squash(header: str) -> str:
    """A header as compared: case, spaces, dots, dashes and underscores ignored (`idDesa` = `id_desa`)."""
    return "".join(ch for ch in str(header or "").lower() if ch.isalnum())


def header_lookup(aliases: dict[str, tuple[str, ...]], mapping: dict[str, str] | None = None) -> dict[str, str]:
    """{squashed header: canonical column}: the aliases, then the user's own `mapping` (file header ->
    canonical column), which wins."""
    lookup = {squash(alias): canon for canon, names in aliases.items() for alias in (canon, *names)}
    lookup.update({squash(header): canon for header, canon in (mapping or {}).items()})
    return lookup


# Rows one upload may hold: a kabupaten has a few thousand TPS; an XLSX of a million empty-looking rows would
# otherwise be read to its end (the unpacked size is capped before: logistics/imports/archive.py).
MAX_ROWS = 50_000


def read_header(path: Path) -> list[str]:
    """The file's header row as written (for a column picker)."""
    raw_rows = _raw_rows(path)
    try:
        return ["" if h is None else str(h).strip() for h in next(raw_rows)]
    except StopIteration:
        raise UnreadableFile(lazy_gettext("berkas kosong")) from None


def _raw_rows(path: Path):
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    if suffix in (".csv", ".txt"):
        return _csv_rows(path)
    raise UnreadableFile(lazy_gettext("format {suffix} tidak didukung: pakai .csv atau .xlsx",
                                      suffix=suffix or "(none)"))


def read_rows(path: Path, aliases: dict[str, tuple[str, ...]], mapping: dict[str, str] | None = None,
              ) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """(canonical columns found, iterator of (row number, {canonical column: stripped text})).

    `mapping` names the file's own headers for columns the aliases do not know: {file header: column}."""
    raw_rows = _raw_rows(path)
    try:
        header = next(raw_rows)
    except StopIteration:
        raise UnreadableFile(lazy_gettext("berkas kosong")) from None
    lookup = header_lookup(aliases, mapping)
    columns: list[str | None] = []
    for h in header:  # a column named twice: the first one counts
        canon = lookup.get(squash(h))
        columns.append(None if canon in columns else canon)

    def rows():
        try:
            yield from _numbered(raw_rows)
        except (csv.Error, ValueError, KeyError, OSError) as exc:  # a broken line or sheet deep in the file
            raise UnreadableFile(lazy_gettext("berkas rusak: {error}", error=str(exc))) from exc

    def _numbered(raw_rows):
        for number, values in enumerate(raw_rows, start=2):
            if number > MAX_ROWS + 1:  # checked as rows come: a huge sheet is refused, not read to its end
                raise UnreadableFile(lazy_gettext("terlalu banyak baris: paling banyak {n}", n=MAX_ROWS))
            cells = ["" if v is None else str(v).strip() for v in values]
            if not any(cells):
                continue  # blank lines are not rows
            yield number, {c: cells[i] if i < len(cells) else "" for i, c in enumerate(columns) if c}

    return [c for c in columns if c], rows()


def _csv_rows(path: Path):
    text = path.read_bytes()
    if b"\x00" in text:
        raise UnreadableFile(lazy_gettext("bukan berkas teks CSV (ada byte NUL)"))
    # Excel on Windows still writes cp1252 CSVs; latin-1 reads any byte, so something always decodes.
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            decoded = text.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        dialect = csv.Sniffer().sniff(decoded[:4096], delimiters=",;\t") if decoded.strip() else csv.excel
    except csv.Error:  # one column, or no delimiter the sniffer can be sure of
        dialect = csv.excel
    return iter(csv.reader(io.StringIO(decoded), dialect))


def _xlsx_rows(path: Path):
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise UnreadableFile(lazy_gettext("XLSX tidak bisa dibaca: {error}", error=without_paths(str(exc)))) from exc
    sheet = book.worksheets[0]
    return (tuple(_cell_text(v) for v in row) for row in sheet.iter_rows(values_only=True))


def _cell_text(value) -> str | None:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 7 as 7.0
    return None if value is None else str(value)
