"""The coordinators' alerts: every alert source, computed by the database.

An alert source is one module in `logistics/queries/alert_sources/` registered with `@alert_source`. It
gives the *SQL twin* of its rule: a SELECT of the records in alert, with the labelled columns `kind`,
`severity`, `since` and `kecamatan_id` (and whatever its message needs), already narrowed to a scope; and
a function that turns one such row into an `Alert` (the message). So the database does the work at any
scale:

* `collect_alerts` — the alerts themselves (a kecamatan's view, tests), most urgent first; with `limit`,
  at most that many of each source, so a national view never loads 220,000 rows to show 100;
* `alerts_per_kecamatan` — both of these for each kecamatan of a list, in one statement per source;
* `alert_counts` — per kind, severity and kecamatan: how many, and since when (GROUP BY in SQL);
* `area_alerts` — the counts rolled up per area (kecamatan, or kota), worst first, for the national view.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from logistics.texts import source as source_text
from logistics.rules.time_zones import WIB
from logistics.timeutil import to_local

# Lower is more urgent.
SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class Alert:
    kind: str  # e.g. fatigue_escalation, meal_late, tps_not_open
    severity: str  # a SEVERITY key
    since: datetime  # when the condition began (aware UTC)
    message: object  # a lazy text (logistics.texts): shown in the reader's language
    kecamatan_id: int | None = None
    tps_id: int | None = None
    refs: dict = field(default_factory=dict)  # ids of related records (delivery_id, incident_id, ...)

    @property
    def message_id(self) -> str:
        """The message in Bahasa Indonesia, whatever the request's language."""
        return source_text(self.message)

    def sort_key(self):
        return (SEVERITY[self.severity], self.since)


@dataclass(frozen=True)
class Moment:
    """What every source is judged on: the election day's clock and the day [start, end)."""
    now: datetime
    day_start: datetime
    day_end: datetime

    @property
    def day(self) -> date:
        """The calendar date judged: the window's middle, the same date in every Indonesian zone."""
        return to_local(self.day_start + (self.day_end - self.day_start) / 2, WIB).date()


@dataclass(frozen=True)
class AlertSource:
    name: str
    # (session, moment, kecamatan ids or None) -> the SQL twin of the rule, or None (nothing can be due)
    query: Callable[[Session, Moment, "list[int] | None"], "Select | None"]
    # (row mapping, moment, session) -> the alert for one row of that query
    build: Callable[..., Alert]
    # (election settings) -> {kind: label}: the name of each kind it raises, as the dashboard counts them,
    # made from the settings it depends on (fatigue hours), so a changed setting changes the label
    labels: Callable[..., dict]


_SOURCES: list[AlertSource] = []


def alert_source(build: Callable[..., Alert], labels):
    """Register a source: decorate the query function with `@alert_source(build_function, labels)`;
    `labels` is {kind: label}, or a function of the election settings returning it."""
    def register(query):
        _SOURCES.append(AlertSource(query.__module__.rsplit(".", 1)[-1], query, build,
                                    labels if callable(labels) else lambda settings: labels))
        return query
    return register


def kind_labels(settings) -> dict:
    """Every alert kind's label under these election settings (logistics.settings.settings_for)."""
    return {kind: label for source in sources() for kind, label in source.labels(settings).items()}


def sources() -> list[AlertSource]:
    import logistics.queries.alert_sources  # noqa: F401  (registers every source)

    return list(_SOURCES)


def _scope(kecamatan_ids: Iterable[int] | None) -> list[int] | None:
    return None if kecamatan_ids is None else list(kecamatan_ids)


def collect_alerts(session: Session, now: datetime, day_start: datetime, day_end: datetime,
                   kecamatan_ids: Iterable[int] | None = None, limit: int | None = None) -> list[Alert]:
    """The alerts in scope, most urgent first; with `limit`, the first `limit` of each source (by time, then
    by record id)."""
    moment, scope, alerts = Moment(now, day_start, day_end), _scope(kecamatan_ids), []
    for source in sources():
        query = source.query(session, moment, scope)
        if query is None:
            continue
        query = query.order_by(*_in_order(query))
        if limit is not None:
            query = query.limit(limit)
        alerts.extend(source.build(row, moment, session) for row in session.execute(query).mappings())
    return sorted(alerts, key=Alert.sort_key)


def alerts_per_kecamatan(session: Session, now: datetime, day_start: datetime, day_end: datetime,
                         kecamatan_ids: Iterable[int], limit: int, whole_limit: int | None = None
                         ) -> tuple[dict[int, list[Alert]], dict[int, list["AlertCount"]], list[Alert]]:
    """For each kecamatan k of `kecamatan_ids`: `collect_alerts(..., [k], limit=limit)` and
    `alert_counts(..., [k])`; and with `whole_limit`, `collect_alerts(..., kecamatan_ids, whole_limit)`
    (else []). One statement per source for all of them (a kota's kecamatan computed together): its rows
    numbered in `collect_alerts`' order (earliest, then by record id) within their kecamatan and over the
    whole, and counted within their kind, severity and kecamatan, by window functions; only the rows shown
    and the first of each count come back."""
    moment, scope = Moment(now, day_start, day_end), list(kecamatan_ids)
    alerts: dict[int, list[Alert]] = {k: [] for k in scope}
    counts: dict[int, list[AlertCount]] = {k: [] for k in scope}
    whole: list[Alert] = []
    for source in sources():
        query = source.query(session, moment, scope)
        if query is None:
            continue
        columns, order = query.selected_columns, _in_order(query)
        group = [columns.kind, columns.severity, columns.kecamatan_id]
        ranked = query.add_columns(
            func.row_number().over(partition_by=columns.kecamatan_id, order_by=order).label("alert_rank"),
            func.row_number().over(order_by=order).label("whole_rank"),
            func.row_number().over(partition_by=group, order_by=order).label("count_rank"),
            func.count().over(partition_by=group).label("count_n"),
            func.min(columns.since).over(partition_by=group).label("count_since")).subquery()
        shown = (ranked.c.alert_rank <= limit) | (ranked.c.count_rank == 1)
        if whole_limit is not None:
            shown = shown | (ranked.c.whole_rank <= whole_limit)
        in_whole = []
        for row in session.execute(select(ranked).where(shown)
                                   .order_by(ranked.c.kecamatan_id, ranked.c.alert_rank)).mappings():
            kecamatan_id = row["kecamatan_id"]
            if kecamatan_id not in alerts:
                continue
            if row["count_rank"] == 1:
                counts[kecamatan_id].append(AlertCount(row["kind"], row["severity"], kecamatan_id, row["count_n"],
                                                       _aware(row["count_since"])))
            if row["alert_rank"] > limit and (whole_limit is None or row["whole_rank"] > whole_limit):
                continue
            alert = source.build(row, moment, session)
            if row["alert_rank"] <= limit:
                alerts[kecamatan_id].append(alert)
            if whole_limit is not None and row["whole_rank"] <= whole_limit:
                in_whole.append((row["whole_rank"], alert))
        whole.extend(alert for _, alert in sorted(in_whole, key=lambda ranked_alert: ranked_alert[0]))
    return ({k: sorted(found, key=Alert.sort_key) for k, found in alerts.items()}, counts,
            sorted(whole, key=Alert.sort_key))


# The record an alert is about, by the column its source labels it with: the tie-break after `since`, so
# which alerts a limited view shows (the dashboard's examples) and their order never depend on the query plan
# (many TPS of a zone share one `since`: the hour they should have opened).
RECORD_KEYS = ("incident_id", "delivery_id", "medic_station_id", "tps_id")


def _in_order(query: Select) -> list:
    """Earliest first, then by the record's id (each source labels at least one of RECORD_KEYS)."""
    columns = query.selected_columns
    keys = [columns[name] for name in RECORD_KEYS if name in columns]
    if not keys:
        raise ValueError("an alert source must select one of " + ", ".join(RECORD_KEYS))
    return [columns.since, *keys]


@dataclass(frozen=True)
class AlertCount:
    kind: str
    severity: str
    kecamatan_id: int | None
    n: int
    since: datetime


def alert_counts(session: Session, now: datetime, day_start: datetime, day_end: datetime,
                 kecamatan_ids: Iterable[int] | None = None,
                 on_error: Callable[[str, Exception], None] | None = None) -> list[AlertCount]:
    """How many alerts of each kind and severity per kecamatan, and the earliest: one GROUP BY per source.
    With `on_error`, a source that fails is reported to it and left out (each runs in a savepoint, so the
    others still count: /metrics), instead of failing the whole answer."""
    moment, scope, counts = Moment(now, day_start, day_end), _scope(kecamatan_ids), []
    for source in sources():
        if on_error is None:
            counts.extend(_count(session, source, moment, scope))
            continue
        try:
            with session.begin_nested():
                counts.extend(_count(session, source, moment, scope))
        except Exception as error:  # noqa: BLE001  (reported, and the other sources still count)
            on_error(source.name, error)
    return counts


def _count(session: Session, source: AlertSource, moment: Moment, scope: list[int] | None) -> list[AlertCount]:
    query = source.query(session, moment, scope)
    if query is None:
        return []
    rows = query.subquery()
    grouped = (select(rows.c.kind, rows.c.severity, rows.c.kecamatan_id, func.count(), func.min(rows.c.since))
               .group_by(rows.c.kind, rows.c.severity, rows.c.kecamatan_id))
    return [AlertCount(kind, severity, kec, n, _aware(since))
            for kind, severity, kec, n, since in session.execute(grouped)]


def _aware(value) -> datetime:
    """A time from an aggregate, as aware UTC (SQLite hands back naive UTC or its text)."""
    from datetime import timezone

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def kinds_by_severity(counts: Iterable[AlertCount]) -> list[tuple[str, str, int]]:
    """(kind, severity, total) over `counts`, most urgent first: the totals a national view shows."""
    totals: dict[tuple[str, str], int] = {}
    for c in counts:
        totals[(c.kind, c.severity)] = totals.get((c.kind, c.severity), 0) + c.n
    return sorted(((k, s, n) for (k, s), n in totals.items()), key=lambda t: (SEVERITY[t[1]], -t[2], t[0]))


def area_alerts(counts: Iterable[AlertCount], area_of: dict[int, int]) -> list[dict]:
    """The counts per area (`area_of`: kecamatan id -> area id, itself for kecamatan rows, its kota for
    kota rows), worst first: most critical, then most high, ... then the earliest, then by id.
    Each: {"area_id", "by_severity": {severity: n}, "by_kind": {kind: n}, "total", "since"}."""
    areas: dict[int | None, dict] = {}
    for c in counts:
        area = area_of.get(c.kecamatan_id) if c.kecamatan_id is not None else None
        row = areas.setdefault(area, {"area_id": area, "by_severity": dict.fromkeys(SEVERITY, 0), "by_kind": {},
                                      "total": 0, "since": c.since})
        row["by_severity"][c.severity] += c.n
        row["by_kind"][c.kind] = row["by_kind"].get(c.kind, 0) + c.n
        row["total"] += c.n
        row["since"] = min(row["since"], c.since)
    # Ties broken by the area's id, so the order does not depend on the order the database counted them in
    # (a kota's pass counts its kecamatan together, dashboard_figures one scope at a time).
    return sorted(areas.values(), key=lambda r: (*(-r["by_severity"][s] for s in SEVERITY), r["since"],
                                                 r["area_id"] is None, r["area_id"] or 0))
