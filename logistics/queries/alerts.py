"""The coordinators' alert list: every alert source in one list, most urgent first.

An alert source is a function `(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]`
registered with `@alert_source`, one module per subject in `logistics/queries/alert_sources/`;
the dashboard and the API call `collect_alerts`.
"""
from __future__ import annotations

from collections import defaultdict
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


# More alerts than this of one kind in one kecamatan read as a single line in a multi-kecamatan view.
GROUP_AT = 6


def group_alerts(alerts: list[Alert], kecamatan_names: dict[int, str], at_least: int = GROUP_AT) -> list[Alert]:
    """For a view over several kecamatan: many alerts of one kind in one kecamatan become one line
    (its most urgent member's severity and time, and how many). At 07:31 on election day a city has
    hundreds of "not open yet" alerts and a province thousands; one line per kecamatan keeps the rest
    of the list readable. The kecamatan's own view still lists every TPS."""
    groups: dict[tuple[str, int | None], list[Alert]] = defaultdict(list)
    for alert in alerts:
        groups[(alert.kind, alert.kecamatan_id)].append(alert)
    out: list[Alert] = []
    for (kind, kecamatan_id), members in groups.items():
        if kecamatan_id is None or len(members) < at_least:
            out.extend(members)
            continue
        first = min(members, key=Alert.sort_key)
        name = kecamatan_names.get(kecamatan_id, str(kecamatan_id))
        out.append(Alert(
            kind=kind, severity=first.severity, since=first.since, kecamatan_id=kecamatan_id,
            refs={"count": len(members)},
            message_id=f"Kec. {name}: {len(members)} peringatan serupa, mis. {first.message_id}",
            message_en=f"Kec. {name}: {len(members)} similar alerts, e.g. {first.message_en}",
        ))
    return sorted(out, key=Alert.sort_key)

