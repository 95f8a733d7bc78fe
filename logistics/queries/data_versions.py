"""Reading data versions (logistics/services/data_versions.py): the basis of the map's ETags."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from logistics.models import DataVersion


def versions(session: Session, *names: str) -> str:
    """"name:version|..." for these tables: changes whenever any of them changed (one index range scan).
    Read it before the data it describes: a change committed in between then costs one extra download,
    never a missed one."""
    if not names:  # a page tagged by something else (maps/dashboard.py: its stored figures' identity)
        return ""
    found = dict(session.execute(select(DataVersion.name, func.sum(DataVersion.version))
                                 .where(DataVersion.name.in_(names)).group_by(DataVersion.name)).all())
    return "|".join(f"{name}:{int(found.get(name) or 0)}" for name in names)
