"""Leave a tombstone for each synced record a service deletes, in the deleting transaction.

Called by the service that deletes (today: `wipe_drill`, which deletes a drill's incidents) before its
DELETE, with a SELECT of the ids about to go: one INSERT … SELECT, committed or rolled back with the
deletion. The API's sync lists report the tombstones since the caller's cursor (api/pagination.py).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from logistics.models import Tombstone
from logistics.timeutil import utcnow


def bury(session: Session, entity_type: str, ids: Select, reason: str, at: datetime | None = None) -> int:
    """Record the rows `ids` (a one-column SELECT) selects as deleted; how many."""
    at = at or utcnow()
    chosen = ids.subquery()
    source = select(literal(entity_type), list(chosen.c)[0], literal(at, Tombstone.deleted_at.type), literal(reason))
    return session.execute(insert(Tombstone).from_select(
        ["entity_type", "entity_id", "deleted_at", "reason"], source)).rowcount or 0
