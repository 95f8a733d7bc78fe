"""Benchmark: the writes of a unit of work's commit alone (logistics/services/commit_writes.py), against the
three statements a post sent before (audit entry, key's record, data versions), on one database.

Each round writes a post's rows (one audit entry, the key's record with a 400-byte answer, two counters)
`--per-round` times, each in a transaction rolled back (BEGIN and ROLLBACK included), old and new alternately;
prints the least over rounds of this process's CPU, the wall time and, on PostgreSQL, the database backends'
CPU (/proc: the server on this machine) per commit's writes. Writes nothing that stays.

Usage:  .venv/bin/python bench/commit_writes.py postgresql://postgres@127.0.0.1:5432/<migrated db> [--rounds 8]
Benchmarks are not tests: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.write_path import _server_cpu  # noqa: E402
from logistics.models import IdempotencyRecord, User  # noqa: E402
from logistics.models.audit import AuditEntry  # noqa: E402
from logistics.services import data_versions  # noqa: E402
from logistics.services.commit_writes import write_at_commit  # noqa: E402
from logistics.timeutil import utcnow  # noqa: E402
from siaga.config import normalise_database_url  # noqa: E402

BODY = '{"id": 1, "status": "open", "officers_present": 7, "code": "TPS-001", "address": "Jl. Merdeka 1"}' * 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database_url", help="a database the migrations made (the tests' will do)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--per-round", type=int, default=500)
    args = parser.parse_args()
    url = normalise_database_url(args.database_url)
    session = Session(create_engine(url))
    actor = session.scalar(select(User.id).limit(1))
    session.rollback()
    audit_insert, record_insert = insert(AuditEntry.__table__), insert(IdempotencyRecord.__table__)

    def rows(i: int):
        audit = {"at": utcnow(), "tapped_at": None, "tapped_note": None, "actor_id": actor, "actor_label": "petugas",
                 "action": "tps.officers_present", "entity_type": "tps", "entity_id": 1,
                 "before": {"officers_present": 3, "status": "open", "code": "TPS-001"},
                 "after": {"officers_present": 7, "status": "open", "code": "TPS-001"}}
        record = {"scope": "bench", "key": f"k-{time.time_ns()}-{i}", "fingerprint": "f" * 64, "created_at": utcnow(),
                  "status_code": 200, "response_body": BODY, "response_headers": {"Content-Type": "application/json"}}
        return audit, record, {"tps", "tps@t1"}

    def before(i: int) -> None:  # as a post wrote them until the commit's one statement
        audit, record, versions = rows(i)
        session.execute(audit_insert, audit)
        session.execute(record_insert, record)
        data_versions.bump(session, versions)

    def now(i: int) -> None:
        audit, record, versions = rows(i)
        write_at_commit(session, record=record, audits=[audit], versions=versions)

    server = _server_cpu(url)
    results: dict[str, list] = {"three statements (before)": [], "write_at_commit": []}
    for _ in range(args.rounds):
        for name, write in (("three statements (before)", before), ("write_at_commit", now)):
            cpu, wall, db = time.process_time(), time.perf_counter(), server()
            for i in range(args.per_round):
                write(i)
                session.rollback()
            scale = 1000 / args.per_round
            results[name].append(((time.process_time() - cpu) * scale, (time.perf_counter() - wall) * scale,
                                  (server() - db) * scale))
    for name, r in results.items():
        print(f"{name}: CPU {min(c for c, *_ in r):.3f} ms, wall {min(w for _, w, _ in r):.3f} ms, "
              f"database CPU {min(d for *_, d in r):.3f} ms per commit's writes (least of {args.rounds} rounds)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
