"""The coordinators' alert list: every alert source in one list, most urgent first.

An alert source is a function `(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]`
registered with `@alert_source`, one module per subject in `logistics/queries/alert_sources/`;
the dashboard and the API call `collect_alerts`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

# Lower is more urgent.
SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class Alert:
    kind: str  # e.g. fatigue_escalation, meal_late, tps_not_open
    severity: str  # a SEVERITY key
    since: datetime  # when the condition began (aware UTC)
    message_id: str  # Bahasa Indonesia
    message_en: str
    kecamatan_id: int | None = None
    tps_id: int | None = None
    refs: dict = field(default_factory=dict)  # ids of related records (delivery_id, incident_id, ...)

    def sort_key(self):
        return (SEVERITY[self.severity], self.since)


AlertSource = Callable[[Session, datetime, datetime, datetime, "Iterable[int] | None"], list[Alert]]
_SOURCES: list[AlertSource] = []


def alert_source(fn: AlertSource) -> AlertSource:
    _SOURCES.append(fn)
    return fn


def collect_alerts(session: Session, now: datetime, day_start: datetime, day_end: datetime,
                   kecamatan_ids: Iterable[int] | None = None) -> list[Alert]:
    import logistics.queries.alert_sources  # noqa: F401  (registers every source)

    scope = None if kecamatan_ids is None else list(kecamatan_ids)
    alerts = [a for source in _SOURCES for a in source(session, now, day_start, day_end, scope)]
    return sorted(alerts, key=Alert.sort_key)
