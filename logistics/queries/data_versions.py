"""Reading data versions (logistics/services/data_versions.py): the basis of the map's ETags, and of what a
process keeps under them (`logistics.queries.kept`)."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Connection, Dialect, Select, bindparam, func, select, union_all
from sqlalchemy.orm import Session, scoped_session

from logistics.models import DataVersion

# Every live page and every poll reads it: built once, run as Core on the session's connection (a table of
# counters, in no election: the ORM's election filter and statement building cost more than the read).
_table = DataVersion.__table__
_VERSIONS = (select(_table.c.name, func.sum(_table.c.version))
             .where(_table.c.name.in_(bindparam("names", expanding=True))).group_by(_table.c.name))
_READ = "data_versions_read"  # session.info: (transaction, {name: version}) read in that transaction
# Rows read with the versions in the same statement (`versions_and`) are named with this first: no table is.
ALSO_PREFIX = "@"


def versions(session: Session, *names: str) -> str:
    """"name:version|..." for these tables: changes whenever any of them changed (one index range scan).
    Read it before the data it describes: a change committed in between then costs one extra download,
    never a missed one. The values are noted for the transaction (`read_in_transaction`)."""
    if not names:  # a page tagged by something else (maps/dashboard.py: its stored figures' identity)
        return ""
    values, _also = _split(session.connection().execute(_VERSIONS, {"names": names}), names)
    transaction = _transaction(session)
    noted = session.info.get(_READ)
    if noted is not None and noted[0] is transaction:
        noted[1].update(values)
    else:
        session.info[_READ] = (transaction, values)
    return _text(values)


def versions_and(connection: Connection, names: tuple[str, ...], also: tuple[Select, ...], params: dict
                 ) -> tuple[str, list]:
    """`versions(*names)` and the rows of the selects `also`, in one statement (a UNION ALL) on `connection`:
    each selects two columns, a name starting with ALSO_PREFIX (no data version has one) and an integer;
    `params` are their parameters. For a check that needs the versions and a few small facts more in one round
    trip (siaga/live.py: whether the login still holds, the reader's scope). Not noted for a transaction: a
    lone read."""
    sql, order, fixed = _with(connection.dialect, also, len(names), tuple(params))
    given = {**fixed, **params, **{f"names_{i}": name for i, name in enumerate(names, 1)}}
    values, also_rows = _split(connection.exec_driver_sql(sql, tuple(given[k] for k in order) if order else given),
                               names)
    return _text(values), also_rows


@lru_cache(maxsize=None)
def _with(dialect: Dialect, also: tuple[Select, ...], count: int, keys: tuple[str, ...]
          ) -> tuple[str, tuple[str, ...] | None, dict]:
    """The versions' statement and `also` (modules' constants, their parameters `keys`), compiled once per dialect
    and number of names:
    its SQL, the order of its parameters (a positional driver's; None for named ones) and the values it fixes.
    Run as the driver's SQL, the check skips the statement's cache lookup and the IN list's rendering, which
    were most of its cost in the app (docs/PERFORMANCE.md, "An idle live page")."""
    blank = {"names": [""] * count, **dict.fromkeys(keys)}
    compiled = union_all(_VERSIONS, *also).params(blank).compile(
        dialect=dialect, compile_kwargs={"render_postcompile": True})
    order = tuple(compiled.positiontup) if compiled.positional else None
    fixed = {k: v for k, v in compiled.params.items() if v is not None and not k.startswith("names_")}
    return compiled.string, order, fixed


def _split(rows, names: tuple[str, ...]) -> tuple[dict[str, int], list]:
    found, also = {}, []
    for name, value in rows:
        if name.startswith(ALSO_PREFIX):  # an int (PostgreSQL types the column as the versions' sum: numeric)
            also.append((name, None if value is None else int(value)))
        else:
            found[name] = value
    return {name: int(found.get(name) or 0) for name in names}, also


def _text(values: dict[str, int]) -> str:
    return "|".join(f"{name}:{value}" for name, value in values.items())


def read_in_transaction(session: Session, names: tuple[str, ...]) -> tuple[int, ...] | None:
    """These versions as `versions` read them in the session's current transaction, or None when one of them
    was not read in it (a commit since then starts a new transaction: its values are not reused)."""
    noted = session.info.get(_READ)
    if noted is None or noted[0] is not _transaction(session):
        return None
    try:
        return tuple(noted[1][name] for name in names)
    except KeyError:
        return None


def _transaction(session: Session):
    return (session() if isinstance(session, scoped_session) else session).get_transaction()
