"""KPPS quorum: a TPS needs a majority of its 7 KPPS officers present to run."""
from __future__ import annotations

KPPS_MEMBERS = 7
QUORUM = KPPS_MEMBERS // 2 + 1  # 4 of 7
QUORUM_MAX = KPPS_MEMBERS  # the highest quorum the settings accept (logistics/settings.py): all members


def below_any_quorum(officers_present: int | None) -> bool:
    """Whether the count could be below some quorum the settings accept. When not (the count is at least
    QUORUM_MAX, as most election-day counts are), `below_quorum` is false whatever the setting, and a post
    need not read the settings to know it."""
    return officers_present is not None and officers_present < QUORUM_MAX


def below_quorum(officers_present: int | None, quorum: int = QUORUM) -> bool:
    """True when a count was posted and it is under the quorum (no count yet is not a warning)."""
    return officers_present is not None and officers_present < quorum


def below_quorum_sql(officers_present, quorum: int = QUORUM):
    """`below_quorum` in SQL, over the caller's column."""
    from sqlalchemy import and_

    return and_(officers_present.is_not(None), officers_present < quorum)
