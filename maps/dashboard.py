"""/dashboard: figures per area (kota, or the kecamatan of one kota, with drill-down), totals, alerts counted
per area (worst first) with the most urgent examples, incidents per hour; all computed by the database."""
from __future__ import annotations

import time

from flask import abort, render_template, url_for
from sqlalchemy import select

from logistics.models import Kecamatan, Kota, MealRound, Role, Triage
from logistics.queries.alerts import SEVERITY, alert_counts, area_alerts, collect_alerts, kinds_by_severity
from logistics.queries.exports import STATUS_ENUMS
from logistics.queries.drill_clock import playing_drill
from logistics.queries.day_charts import day_chart_figures
from logistics.queries.incidents_per_hour import incidents_per_hour
from logistics.queries.login_readiness import readiness_summary
from logistics.queries.summary import city_totals, kecamatan_summary, kota_summary
from maps import bp
from maps.charts import drawn_charts
from maps.reports_web import report_panel
from siaga.election import election_day, election_now, election_window
from siaga.live import live_page
from siaga.shared_figures import figure, share_seconds, shared
from siaga.worker.heartbeat import worker_alive
from siaga.auth import chosen_kecamatan_ids, kecamatan_scope
from siaga.auth import login_required
from siaga.extensions import db
from siaga.fields import FormChoice, FormId
from siaga.forms import FormSchema, with_query
from logistics.texts import lazy_gettext
from siaga.i18n import _, label, pgettext

ALERTS_SHOWN = 100  # one kecamatan: its alerts, most urgent first
EXAMPLES_PER_SOURCE, EXAMPLES_SHOWN = 5, 20  # a wider view: the most urgent few of each kind
AREAS_SHOWN = 25  # areas with alerts, worst first
KIND_LABELS = {
    "tps_not_open": lazy_gettext("TPS belum dibuka"), "meal_late": lazy_gettext("Konsumsi terlambat"), "meal_at_risk": lazy_gettext("Konsumsi berisiko terlambat"),
    "meal_shortage": lazy_gettext("Konsumsi kurang"), "meal_unconfirmed": lazy_gettext("Konsumsi belum dikonfirmasi TPS"),
    "merah_no_response": lazy_gettext("Kejadian merah belum ditangani"), "below_quorum": lazy_gettext("Petugas di bawah kuorum"),
    "fatigue_alert": lazy_gettext("Petugas 16 jam bertugas"), "fatigue_escalation": lazy_gettext("Petugas 20 jam bertugas"),
    "station_unstaffed": lazy_gettext("Pos kesehatan tanpa petugas"),
}
SEVERITY_LABELS = {"critical": lazy_gettext("Kritis"), "high": lazy_gettext("Tinggi"), "medium": lazy_gettext("Sedang"), "low": lazy_gettext("Rendah")}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def severity_label(severity: str) -> str:
    return str(SEVERITY_LABELS[severity])


STATUS_VALUES = tuple(dict.fromkeys(m.value for enum in STATUS_ENUMS.values() for m in enum))


class DashboardQuery(FormSchema):
    kecamatan = FormId()  # narrows the user's scope (siaga.auth.chosen_kecamatan_ids)
    kota = FormId()  # the kecamatan of one kota (the national view's drill-down)
    status = FormChoice(STATUS_VALUES)  # for the downloads: a TPS, delivery or incident status


def export_statuses(status: str) -> dict[str, str]:
    """The status filter, for each export it applies to (TPS, delivery and incident statuses differ)."""
    return {subject: status if status in {m.value for m in enum} else "" for subject, enum in STATUS_ENUMS.items()}


def _kecamatan_in_kota(kota_id: int, scope: list[int] | None) -> list[int]:
    """The kecamatan of `?kota=` within the user's scope: 404 for no such kota, 403 for none in scope."""
    if db.session.get(Kota, kota_id) is None:
        abort(404)
    query = select(Kecamatan.id).where(Kecamatan.kota_id == kota_id)
    if scope is not None:
        query = query.where(Kecamatan.id.in_(scope))
    ids = list(db.session.scalars(query))
    if not ids:
        abort(403)
    return ids


@figure("dashboard")
def _figures(ids: tuple[int, ...] | None, examples: int) -> dict:
    """Everything the page shows that the database computes, for one scope; shared between requests
    for a few seconds and kept fresh by the worker (siaga.shared_figures)."""
    now = election_now()
    start, end = election_window()
    rows = kecamatan_summary(db.session, now, start, end, ids)
    several_kota = len({r["kota_id"] for r in rows}) > 1
    kota_rows = kota_summary(db.session, rows) if several_kota else None
    # Alerts counted per area: per kota when several are in view (each opens its kecamatan), else per kecamatan.
    if several_kota:
        area_of = {r["kecamatan_id"]: r["kota_id"] for r in rows}
        names = {r["kota_id"]: r["nama"] for r in kota_rows}
    else:
        area_of = {r["kecamatan_id"]: r["kecamatan_id"] for r in rows}
        names = {r["kecamatan_id"]: r["nama"] for r in rows}
    counts = alert_counts(db.session, now, start, end, ids)
    drill = playing_drill(db.session, election_day())
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
        "examples": collect_alerts(db.session, now, start, end, ids, limit=examples),
        "per_hour": incidents_per_hour(db.session, start, end, ids, drill),
        "drill_speed": drill.speed if drill is not None else None,  # the chart is by the drill's simulated hour
        **day_chart_figures(db.session, now, start, end, ids, drill),  # the charts' (maps/charts.py)
        # H-1 login readiness is a worklist per kota and kecamatan (who to phone): not for the
        # whole country at once, where it would count millions of officers on every refresh.
        "readiness": None if several_kota else readiness_summary(db.session, ids),
    }


# What the dashboard's figures count (time-based alerts move with the clock: `by_minute`).
DASHBOARD_VERSIONS = ("tps", "delivery", "health_incident", "medic_station", "person", "kecamatan", "kota")


def _shared_period() -> str:
    """Stored figures are refreshed every few seconds after the data changed: the page asks again then."""
    period = share_seconds()
    return str(int(time.time() // period)) if period else ""


@bp.get("/dashboard")
@login_required(Role.COORDINATOR)
@live_page(lambda: DASHBOARD_VERSIONS, by_minute=True, extra=_shared_period)
@with_query(DashboardQuery)
def dashboard(query: dict):
    scope = kecamatan_scope()
    ids = chosen_kecamatan_ids()
    kota_id = query.get("kota") if query.get("kecamatan") is None else None
    if kota_id is not None:
        ids = _kecamatan_in_kota(kota_id, scope)
    single = ids is not None and len(ids) == 1
    figures = shared("dashboard", ids=None if ids is None else tuple(sorted(ids)),
                     examples=ALERTS_SHOWN if single else EXAMPLES_PER_SOURCE)
    kec_rows = figures["rows"]
    by_kota = figures["kota_rows"] is not None
    rows = figures["kota_rows"] if by_kota else kec_rows
    readiness = figures["readiness"]
    alerts_total = figures["alerts_total"]
    examples = figures["examples"][:ALERTS_SHOWN if single else EXAMPLES_SHOWN]
    in_kota = kota_id if kota_id is not None else (kec_rows[0]["kota_id"] if kec_rows and not by_kota else None)
    # The filter lists the kota (national view) or the kecamatan of the kota in view, never 7,007 options.
    kota_choices, kecamatan_choices = [], []
    if by_kota:
        kota_query = select(Kota.id, Kota.nama).order_by(Kota.kode_kemendagri)
        if scope is not None:
            kota_query = kota_query.where(Kota.id.in_(select(Kecamatan.kota_id).where(Kecamatan.id.in_(scope))))
        kota_choices = db.session.execute(kota_query).all()
    elif in_kota is not None:
        kec_query = (select(Kecamatan.id, Kecamatan.nama).where(Kecamatan.kota_id == in_kota)
                     .order_by(Kecamatan.kode_kemendagri))
        if scope is not None:
            kec_query = kec_query.where(Kecamatan.id.in_(scope))
        kecamatan_choices = db.session.execute(kec_query).all()
    # Up one level: from a kota to the nation, from a kecamatan to its kota (when the scope is wider).
    up = None
    if kota_id is not None:
        up = url_for("maps.dashboard")
    elif single and query.get("kecamatan") is not None and scope != ids and in_kota is not None:
        up = url_for("maps.dashboard", kota=in_kota)
    context = dict(
        rows=rows, by_kota=by_kota, totals=figures["totals"], single=single,
        alerts=examples, alerts_total=alerts_total, alerts_more=max(0, alerts_total - len(examples)),
        alert_kinds=figures["alert_kinds"], alert_areas=figures["alert_areas"], severities=list(SEVERITY),
        kind_label=kind_label, severity_label=severity_label, drill_speed=figures.get("drill_speed"),
        charts=drawn_charts(figures, rows, _('Kota/Kabupaten') if by_kota else _('Kecamatan')), rounds=list(MealRound), triage=list(Triage),
        kecamatan_choices=kecamatan_choices, kota_choices=kota_choices, chosen_kota=kota_id, up=up,
        kota_name=db.session.get(Kota, in_kota).nama if in_kota is not None else None,
        chosen=query.get("kecamatan"), status_filter=query.get("status", ""), day=election_day(), now=figures["now"],
        export_status=export_statuses(query.get("status", "")),
        reports=report_panel(ids, kota_id),  # the situation report (maps/reports_web.py)
        readiness=readiness, readiness_roles=(Role.FIELD_OFFICER, Role.COURIER, Role.MEDIC),
        # Read on every refresh (not stored with the figures): the banner comes and goes with the worker.
        worker_down=not worker_alive(db.session),
        status_choices=[(title, [(m.value, label(m)) for m in STATUS_ENUMS[subject]])
                        for subject, title in (("tps", _("Status TPS")), ("deliveries", _("Pengiriman")),
                                               ("incidents", pgettext("list", "Kejadian")))],
    )
    return render_template("maps/dashboard.html", **context)
