"""What every import shares: its report, opening the sheet, and writing (or, in a dry run, weighing) one row."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.imports.table import RowError, UnreadableFile, read_rows
from logistics.services.common import audit, snapshot
from logistics.texts import lazy_gettext


@dataclass(frozen=True)
class Change:
    """What a re-import changes on one stored record: {field: (stored, from the file)}."""

    row: int
    label: str
    fields: dict


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)  # any error: nothing is written
    warnings: list[RowError] = field(default_factory=list)  # worth a look, written anyway
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # whole-file remarks (e.g. how many rows lack DPT)
    per_group: Counter = field(default_factory=Counter)  # rows per kecamatan, for the preview
    points: list[dict] = field(default_factory=list)  # {lat, lon, label, approximate, flagged}, for the map
    outlines: list[dict] = field(default_factory=list)  # GeoJSON polygons of a boundary file, for the map

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run


def parse_mapping(pairs) -> dict[str, str]:
    """`--map` values as {file header: our column}; `KOLOM_BERKAS=kolom` (either side may be ours)."""
    mapping = {}
    for pair in pairs or ():
        left, sep, right = str(pair).partition("=")
        if not sep or not left.strip() or not right.strip():
            raise ValueError(f"pakai KOLOM_BERKAS=kolom, bukan {pair!r}")
        mapping[left.strip()] = right.strip()
    return mapping


def orient_mapping(mapping: dict[str, str], aliases: dict) -> dict[str, str]:
    """Accept `no_tps=noTps` as well as `noTps=no_tps`: the side that is one of our columns is ours."""
    return {(right if left in aliases and right not in aliases else left):
            (left if left in aliases and right not in aliases else right)
            for left, right in mapping.items()}


def open_sheet(path: Path, aliases: dict, required: tuple[str, ...], report: ImportReport,
               also_missing: Callable[[list[str]], list[str]] = lambda columns: [],
               mapping: dict[str, str] | None = None):
    """(columns, rows) of the sheet, or None with the file's errors added to `report`.

    `also_missing` names further missing columns that depend on which others are there; `mapping` is the
    user's {file header: column} for headers the aliases do not know. Rows are read in full here, so a file
    broken halfway is refused before any row is checked."""
    mapping = orient_mapping(mapping or {}, aliases)
    unknown = sorted({c for c in mapping.values() if c not in aliases})
    report.errors += [RowError(1, c, lazy_gettext("bukan kolom yang dikenal: {names}",
                                                  names=", ".join(aliases))) for c in unknown]
    if unknown:
        return None
    try:
        columns, rows = read_rows(Path(path), aliases, mapping)
        rows = list(rows)
    except (UnreadableFile, OSError) as exc:
        report.errors.append(RowError(1, "-", str(exc)))
        return None
    missing = [c for c in required if c not in columns] + also_missing(columns)
    report.errors += [RowError(1, c, lazy_gettext("kolom tidak ada di baris judul")) for c in missing]
    return None if missing else (columns, rows)


def no_rows_error(report: ImportReport) -> None:
    if not report.rows:
        report.errors.append(RowError(2, "-", lazy_gettext("tidak ada baris data")))


def upsert(session: Session, actor: Actor, action: str, record, make_new, values: dict, report: ImportReport,
           row: int = 0, label: str = ""):
    """Create the record (`make_new(**values)`) or update the changed values of `record`, audited either way.

    In a dry run nothing is touched: the report only counts what would be created or changed."""
    if record is None:
        report.created += 1
        if report.dry_run:
            return None
        record = make_new(**values)
        session.add(record)
        audit(session, actor, action, record, None)
        return record
    changed = {k: (getattr(record, k), v) for k, v in values.items() if getattr(record, k) != v}
    if not changed:
        report.unchanged += 1
        return record
    report.updated += 1
    report.changes.append(Change(row, label, {k: (_shown(a), _shown(b)) for k, (a, b) in changed.items()}))
    if not report.dry_run:
        before = snapshot(record)
        for k, v in values.items():
            setattr(record, k, v)
        audit(session, actor, action, record, before)
    return record


def _shown(value):
    return getattr(value, "value", value)
