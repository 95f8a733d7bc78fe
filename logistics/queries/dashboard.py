"""The command dashboard's read side: its figures for one scope (areas, totals, alerts counted per area
worst first with the most urgent examples, incidents per hour, login readiness) and the areas its
filter offers. maps/dashboard.py only translates the request and renders."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.models import Kecamatan, Kota
from logistics.queries.area_readiness import gaps_per_kota
from logistics.queries.alerts import (
    alert_counts, alerts_per_kecamatan, area_alerts, collect_alerts, kinds_by_severity,
)
from logistics.queries.day_charts import day_chart_figures, day_chart_figures_per_kecamatan
from logistics.queries.incidents_per_hour import incidents_per_hour, incidents_per_hour_per_kecamatan
from logistics.queries.login_readiness import readiness_summary
from logistics.queries.sql_serial import serially
from logistics.queries.summary import city_totals, kecamatan_summary, kota_summary

AREAS_SHOWN = 25  # areas with alerts, worst first


@serially
def dashboard_figures(session: Session, now: datetime, start: datetime, end: datetime,
                      ids: tuple[int, ...] | None, examples: int, drill) -> dict:
    """Everything the page shows that the database computes, for one scope (`ids`: kecamatan, None: all);
    `drill`, the drill being played (its clock), if any. Without parallel workers (`serially`): a province's
    statements took 2.3–2.6× the database CPU with them, in about the same time (docs/SCALING.md)."""
    rows = kecamatan_summary(session, now, start, end, ids)
    several_kota = len({r["kota_id"] for r in rows}) > 1
    return _figures(
        now, drill, rows, kota_summary(session, rows) if several_kota else None,
        alert_counts(session, now, start, end, ids),
        examples=collect_alerts(session, now, start, end, ids, limit=examples),
        per_hour=incidents_per_hour(session, start, end, ids, drill),
        charts=day_chart_figures(session, now, start, end, ids, drill),
        # H-1 login readiness is a worklist per kota and kecamatan (who to phone): not for the
        # whole country at once, where it would count millions of officers on every refresh.
        readiness=None if several_kota else readiness_summary(session, ids),
        # Several kab/kota (a province, the nation): what each still lacks (logistics/queries/area_readiness.py).
        area_gaps=gaps_per_kota(session, ids) if several_kota else None)


@serially
def kecamatan_dashboard_figures(session: Session, now: datetime, start: datetime, end: datetime,
                                ids: Iterable[int], examples: int, drill, whole_examples: int | None = None
                                ) -> tuple[dict[int, dict], dict | None]:
    """`dashboard_figures(..., (k,), examples, drill)` for each kecamatan k of `ids` (the kecamatan of one
    kota), computed together: each subject's statement grouped per kecamatan once for all of them (each
    alert source's rows numbered and counted within each kecamatan in one statement), not once per
    kecamatan; each kecamatan's slice is what it would have been alone. With `whole_examples` (≤ `examples`),
    also `dashboard_figures(..., ids, whole_examples, drill)` for them all, put together from the slices
    (else None). Without parallel workers, as `dashboard_figures`."""
    rows = kecamatan_summary(session, now, start, end, ids)
    ids = [r["kecamatan_id"] for r in rows]
    if not ids:
        return {}, None
    if len({r["kota_id"] for r in rows}) > 1 or (whole_examples is not None and whole_examples > examples):
        raise ValueError("the kecamatan of one kota, and no more examples for them all than for each")
    examples_of, counts, whole_examples_shown = alerts_per_kecamatan(session, now, start, end, ids, examples,
                                                                     whole_examples)
    per_hour = incidents_per_hour_per_kecamatan(session, start, end, ids, drill)
    charts = day_chart_figures_per_kecamatan(session, now, start, end, ids, drill)
    readiness = readiness_summary(session, ids)
    per_kecamatan = {row["kecamatan_id"]: _figures(
        now, drill, [row], None, counts[row["kecamatan_id"]],
        examples=examples_of[row["kecamatan_id"]], per_hour=per_hour[row["kecamatan_id"]],
        charts=charts[row["kecamatan_id"]], area_gaps=None,
        readiness=[r for r in readiness if r["kecamatan_id"] == row["kecamatan_id"]]) for row in rows}
    if whole_examples is None:
        return per_kecamatan, None
    return per_kecamatan, _figures(
        now, drill, rows, None, [c for k in ids for c in counts[k]], examples=whole_examples_shown,
        per_hour=_summed(per_hour[k] for k in ids),
        charts={"tps_steps": _summed(charts[k]["tps_steps"] for k in ids) | {"hours": charts[ids[0]]["tps_steps"]["hours"]},
                "care_times": _summed(charts[k]["care_times"] for k in ids) | {"edges": charts[ids[0]]["care_times"]["edges"]},
                "response_target": charts[ids[0]]["response_target"]},
        readiness=readiness, area_gaps=None)


def _summed(parts) -> dict[str, list[int]]:
    """Lists of counts added up element by element, per key: several kecamatan's charts as one."""
    total: dict[str, list[int]] = {}
    for part in parts:
        for key, values in part.items():
            total[key] = [a + b for a, b in zip(total[key], values)] if key in total else list(values)
    return total


def _figures(now: datetime, drill, rows: list[dict], kota_rows: list[dict] | None, counts: list, *, examples: list,
             per_hour: dict, charts: dict, readiness, area_gaps) -> dict:
    """The figures of one scope from what was counted for it (`kota_rows`: None unless several kota)."""
    several_kota = kota_rows is not None
    # Alerts counted per area: per kota when several are in view (each opens its kecamatan), else per kecamatan.
    if several_kota:
        area_of = {r["kecamatan_id"]: r["kota_id"] for r in rows}
        names = {r["kota_id"]: r["nama"] for r in kota_rows}
    else:
        area_of = {r["kecamatan_id"]: r["kecamatan_id"] for r in rows}
        names = {r["kecamatan_id"]: r["nama"] for r in rows}
    return {
        "now": now,
        # Several kota: the page lists kota, so the 7,007 kecamatan lines of the nation are not kept (they
        # were the bulk of the stored figures, read back on every request).
        "rows": [] if several_kota else rows,
        "kota_rows": kota_rows,
        "totals": city_totals(rows),
        "alerts_total": sum(c.n for c in counts),
        "alert_kinds": kinds_by_severity(counts),
        "alert_areas": [a | {"nama": names.get(a["area_id"], "—")}
                        for a in area_alerts(counts, area_of)][:AREAS_SHOWN],
        "examples": examples,
        "per_hour": per_hour,
        "drill_speed": drill.speed if drill is not None else None,  # the chart is by the drill's simulated hour
        **charts,  # the charts' (maps/charts.py)
        "readiness": readiness,
        "area_gaps": area_gaps,
    }


def kecamatan_of_kota(session: Session, kota_id: int, scope: list[int] | None) -> list[int] | None:
    """The kecamatan of a kota within `scope` (None: the whole country); None when there is no such kota."""
    if session.get(Kota, kota_id) is None:
        return None
    query = select(Kecamatan.id).where(Kecamatan.kota_id == kota_id)
    if scope is not None:
        query = query.where(Kecamatan.id.in_(scope))
    return list(session.scalars(query))


def kota_choices(session: Session, scope: list[int] | None) -> list:
    """(id, name) of the kota with a kecamatan in `scope`, in official order (the national view's filter)."""
    query = select(Kota.id, Kota.nama).order_by(Kota.kode_kemendagri)
    if scope is not None:
        query = query.where(Kota.id.in_(select(Kecamatan.kota_id).where(Kecamatan.id.in_(scope))))
    return session.execute(query).all()


def kecamatan_choices(session: Session, kota_id: int, scope: list[int] | None) -> list:
    """(id, name) of the kecamatan of one kota within `scope`, in official order."""
    query = (select(Kecamatan.id, Kecamatan.nama).where(Kecamatan.kota_id == kota_id)
             .order_by(Kecamatan.kode_kemendagri))
    if scope is not None:
        query = query.where(Kecamatan.id.in_(scope))
    return session.execute(query).all()
