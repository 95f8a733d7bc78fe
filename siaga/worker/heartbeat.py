"""The worker's sign of life: a row it rewrites every BEAT; /healthz and the dashboard read its age."""
from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.models import WorkerHeartbeat
from logistics.queries.sql_upsert import upsert_insert
from logistics.timeutil import utcnow

NAME = "worker"
BEAT = timedelta(seconds=5)
STALE_AFTER = timedelta(seconds=30)  # no beat for this long: the worker is down (or stuck)
TABLE = WorkerHeartbeat.__table__


def beat(session: Session) -> None:
    statement = upsert_insert(session)(TABLE).values(name=NAME, beat_at=utcnow(), host=socket.gethostname()[:120],
                                                     pid=os.getpid())
    session.execute(statement.on_conflict_do_update(index_elements=[TABLE.c.name], set_={
        "beat_at": statement.excluded.beat_at, "host": statement.excluded.host, "pid": statement.excluded.pid}))
    session.commit()


def last_beat(session: Session) -> datetime | None:
    return session.scalar(select(TABLE.c.beat_at).where(TABLE.c.name == NAME))


def fresh(seen: datetime | None, now: datetime) -> bool:
    """Whether a beat last seen at `seen` means the worker is alive at `now`."""
    return seen is not None and seen >= now - STALE_AFTER


def worker_alive(session: Session, now: datetime | None = None) -> bool:
    return fresh(last_beat(session), now or utcnow())
