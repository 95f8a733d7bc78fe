"""The election that rows written by a benchmark in raw SQL (INSERT ... SELECT, COPY, executemany) belong to.

Every table of one election's records carries a NOT NULL `election_id` (logistics/models/election.py). The
ORM fills it from the session's election (logistics/election_scope.py), but raw SQL bypasses that hook, so a
benchmark that bulk-loads such a table names the active election itself, with the id read here.
Used by bench/national.py, bench/map_scale.py and bench/coverage.py.
"""
from __future__ import annotations

from sqlalchemy import text

# The same rule as logistics.election_scope.active_election_id: the one marked active, else the first.
_ACTIVE = "SELECT id FROM election ORDER BY CASE WHEN active THEN 1 ELSE 2 END, id LIMIT 1"


def active_election_id(conn) -> int:
    """The active election's id, through a SQLAlchemy Connection or Session (raises if there is none: a
    database that was not migrated or seeded)."""
    found = conn.execute(text(_ACTIVE)).scalar()
    if found is None:
        raise RuntimeError("no election in this database: migrate it (flask db upgrade) before loading rows")
    return found
