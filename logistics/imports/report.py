"""What every import shares: its report, opening the sheet, and writing one row."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.imports.table import RowError, UnreadableFile, read_rows
from logistics.services.common import audit, snapshot


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def open_sheet(path: Path, aliases: dict, required: tuple[str, ...], report: ImportReport,
               also_missing: Callable[[list[str]], list[str]] = lambda columns: []):
    """(columns, rows) of the sheet, or None with the file's errors added to `report`.

    `also_missing` names further missing columns that depend on which others are there."""
    try:
        columns, rows = read_rows(Path(path), aliases)
    except (UnreadableFile, OSError) as exc:
        report.errors.append(RowError(1, "-", str(exc)))
        return None
    missing = [c for c in required if c not in columns] + also_missing(columns)
    report.errors += [RowError(1, c, "kolom tidak ada di baris judul") for c in missing]
    return None if missing else (columns, rows)


def no_rows_error(report: ImportReport) -> None:
    if not report.rows:
        report.errors.append(RowError(2, "-", "tidak ada baris data"))


def upsert(session: Session, actor: Actor, action: str, record, make_new, values: dict, report: ImportReport) -> None:
    """Create the record (`make_new(**values)`) or update the changed values of `record`, audited either way."""
    if record is None:
        record = make_new(**values)
        session.add(record)
        audit(session, actor, action, record, None)
        report.created += 1
    elif any(getattr(record, k) != v for k, v in values.items()):
        before = snapshot(record)
        for k, v in values.items():
            setattr(record, k, v)
        audit(session, actor, action, record, before)
        report.updated += 1
    else:
        report.unchanged += 1
