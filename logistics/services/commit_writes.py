"""What a unit of work writes at its commit beside the change itself: the submission's idempotency record (the
key, with its stored answer), the audit entries of its changes, and the data versions they move.

The services do not write their audit entries when they change a record (`common.audit` hands the row to the
unit of work), and `@idempotent` hands the key's record to `UnitOfWork.commit`, which writes the three here,
after its flush and coverage, as the transaction's last statements before COMMIT:

- **PostgreSQL: one statement** (data-modifying CTEs), one round trip instead of three:

      WITH claim AS (INSERT INTO idempotency_record (...) SELECT ... FROM json_populate_record(...) RETURNING 1),
           audits AS (INSERT INTO audit_entry (...) SELECT ... FROM json_populate_recordset(...))
      INSERT INTO data_version (name, shard, version)
      SELECT name, shard, 1 FROM unnest(:names, :shards) AS v(name, shard) WHERE EXISTS (SELECT FROM claim)
      ON CONFLICT (name, shard) DO UPDATE SET version = data_version.version + 1

  The rows travel as one JSON document and two arrays, so there is one statement text per kind of commit
  (with a key or without), compiled once, whatever the number of entries and counters.
- **SQLite: three statements** (it has no data-modifying CTEs; in process, a statement is no round trip):
  the audit entries, the key's record, the counters — the order they had before.

**Lock order (PostgreSQL).** The parts of one statement run in no documented order, but a row cannot be
written before the rows it is made from exist: the counters' rows are made only once the claim's INSERT has
returned its row (`WHERE EXISTS (SELECT FROM claim)`). So the key's unique index is taken before any counter:
a retried twin waits there for the first's transaction, then fails (IntegrityError: `@idempotent` answers
with the stored response) without having touched a counter that other posts wait on. The counters are
bumped in sorted order (logistics/services/data_versions.py), the same for every writer. The audit entries
take no lock that another writer waits on. (Before this statement the key was written before the commit's
flush and coverage; a twin that adds or moves a TPS or station may now wait on the first's `tps_coverage`
rows before the key, which delays it, holding no counter, and deadlocks nothing: the first holds those
rows already and waits on nothing of the twin's.)

A commit with many audit entries (an import) writes them ahead in chunks of `AUDITS_HELD` (`hold_audit`):
entries lock nothing anyone waits on, so writing them early changes no lock order.
"""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from sqlalchemy import JSON, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from logistics.models import DataVersion, IdempotencyRecord
from logistics.models.audit import AuditEntry
from logistics.services import data_versions
from logistics.timeutil import as_utc

AUDITS_HELD = 500  # audit entries held for the commit's statement; beyond, written ahead in one INSERT

_INSERT_AUDIT = insert(AuditEntry.__table__)
_INSERT_RECORD = insert(IdempotencyRecord.__table__)


def hold_audit(session: Session, held: list[dict], row: dict) -> None:
    """Keep one audit entry's row for the commit (`held`: the unit of work's); a full hold is written now."""
    held.append(row)
    if len(held) >= AUDITS_HELD:
        session.execute(_INSERT_AUDIT, held)
        held.clear()


def write_record(session: Session, record: dict) -> None:
    """The key's record alone, in the session's transaction (a refusal's, stored in a transaction of its own:
    siaga/idempotency.py; the SQLite commit's)."""
    session.execute(_INSERT_RECORD, record)


def write_at_commit(session: Session, *, record: dict | None, audits: list[dict], versions: set[str]) -> None:
    """Write the key's record (if any), the audit entries and the data versions in the session's transaction:
    on PostgreSQL one statement, the key first (module docstring); on SQLite three. A key already committed
    (a replay, or a twin that was first) raises IntegrityError."""
    if record is None and not audits and not versions:
        return
    if session.get_bind().dialect.name == "postgresql":
        names, shards = data_versions.rows_to_bump(versions)
        params = {"audits": json.dumps(audits, default=_json_time), "names": names, "shards": shards}
        if record is not None:
            params["claim"] = json.dumps(record, default=_json_time)
        session.execute(_one_statement(record is not None), params)
        return
    if audits:
        session.execute(_INSERT_AUDIT, audits)
    if record is not None:
        write_record(session, record)
    data_versions.bump(session, versions)


def _json_time(value):
    if isinstance(value, datetime):
        return as_utc(value).isoformat()  # timestamptz from an ISO text with its offset
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _insert_from_json(table, rows: str) -> str:
    """INSERT INTO `table` the rows of a JSON document (`rows`: a function of the table's row type and the JSON
    parameter), every column but the id. A JSON column's None is stored as JSON null, as SQLAlchemy's JSON type
    stores it (the row functions make it SQL NULL)."""
    quote = postgresql.dialect().identifier_preparer.quote
    columns = [c for c in table.columns if c.name != "id"]
    values = [f"COALESCE({quote(c.name)}, 'null'::json)" if isinstance(c.type, JSON) else quote(c.name)
              for c in columns]
    return (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) "
            f"SELECT {', '.join(values)} FROM {rows.format(row_type=f'NULL::{quote(table.name)}')}")


@lru_cache(maxsize=None)
def _one_statement(with_record: bool):
    """The PostgreSQL statement, written once per kind (with a key's record or without)."""
    parts = [f"audits AS ({_insert_from_json(AuditEntry.__table__, 'json_populate_recordset({row_type}, CAST(:audits AS json))')})"]
    after_claim = ""
    if with_record:
        parts.insert(0, f"claim AS ({_insert_from_json(IdempotencyRecord.__table__, 'json_populate_record({row_type}, CAST(:claim AS json))')} RETURNING 1)")
        after_claim = " WHERE EXISTS (SELECT FROM claim)"  # the counters' rows wait for the key's
    versions = DataVersion.__tablename__
    return text(
        f"WITH {', '.join(parts)} "
        f"INSERT INTO {versions} (name, shard, version) "
        f"SELECT name, shard, 1 FROM unnest(CAST(:names AS text[]), CAST(:shards AS smallint[])) AS v(name, shard)"
        f"{after_claim} "
        f"ON CONFLICT (name, shard) DO UPDATE SET version = {versions}.version + 1")
