"""INSERT ... ON CONFLICT, the same on PostgreSQL and SQLite: both dialects spell it alike
(`.on_conflict_do_update`, `.excluded`), but each has its own construct."""
from __future__ import annotations


def upsert_insert(bind_or_dialect):
    """The dialect's `insert` construct for a session, a connection or a dialect name."""
    name = bind_or_dialect if isinstance(bind_or_dialect, str) else _dialect_name(bind_or_dialect)
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _dialect_name(bind) -> str:
    """A session (or scoped session) has its bind's dialect; a connection or engine its own."""
    return bind.get_bind().dialect.name if hasattr(bind, "get_bind") else bind.dialect.name
