"""Reading data versions (logistics/services/data_versions.py): the basis of the map's ETags."""
from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from logistics.models import DataVersion


# Built once (a new statement per call had its cache key computed on every live page's poll). Data versions
# are the deployment's, not an election's: no election filter to resolve.
_table = DataVersion.__table__
_VERSIONS = (select(_table.c.name, func.sum(_table.c.version))
             .where(_table.c.name.in_(bindparam("names", expanding=True))).group_by(_table.c.name)
             .execution_options(all_elections=True))


def versions(session: Session, *names: str) -> str:
    """"name:version|..." for these tables: changes whenever any of them changed (one index range scan).
    Read it before the data it describes: a change committed in between then costs one extra download,
    never a missed one."""
    found = dict(session.execute(_VERSIONS, {"names": list(names)}).all())
    return "|".join(f"{name}:{int(found.get(name) or 0)}" for name in names)
