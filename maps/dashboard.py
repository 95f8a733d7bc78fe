"""/dashboard: figures per area (kota, or the kecamatan of one kota, with drill-down), totals, alerts counted
per area (worst first) with the most urgent examples, incidents per hour; all computed by the database."""
from __future__ import annotations

import time

from flask import abort, render_template, url_for
from sqlalchemy import select

from logistics.models import Kecamatan, Kota, MealRound, Role, Triage
from logistics.permissions import Permission
from logistics.queries.alerts import SEVERITY, kind_labels
from logistics.queries.dashboard import (
    dashboard_figures, kecamatan_choices, kecamatan_dashboard_figures, kecamatan_of_kota, kota_choices,
)
from logistics.queries.exports import STATUS_ENUMS
from logistics.queries.scope_areas import scope_title
from logistics.queries.drill_clock import playing_drill
from logistics.settings import settings_for
from maps import bp
from maps.charts import drawn_charts
from maps.reports_web import report_panel
from siaga.election import election_day, election_now, election_window, local_zone
from siaga.live import live_page
from siaga.shared_figures import figure, share_seconds, shared
from siaga.worker.heartbeat import worker_alive
from siaga.auth import chosen_kecamatan_ids, current_actor, kecamatan_scope, requires
from siaga.extensions import db
from siaga.fields import FormChoice, FormId
from siaga.forms import FormSchema, with_query
from logistics.texts import lazy_gettext
from siaga.i18n import _, label, pgettext

ALERTS_SHOWN = 100  # one kecamatan: its alerts, most urgent first
EXAMPLES_PER_SOURCE, EXAMPLES_SHOWN = 5, 20  # a wider view: the most urgent few of each kind
SEVERITY_LABELS = {"critical": lazy_gettext("Kritis"), "high": lazy_gettext("Tinggi"), "medium": lazy_gettext("Sedang"), "low": lazy_gettext("Rendah")}


def kind_label():
    """An alert kind's label, made from the current election settings (logistics.queries.alerts.kind_labels)."""
    labels = kind_labels(settings_for(db.session))
    return lambda kind: str(labels[kind]) if kind in labels else kind


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
    ids = kecamatan_of_kota(db.session, kota_id, scope)
    if ids is None:
        abort(404)
    if not ids:
        abort(403)
    return ids


def _wider_than_a_kecamatan(ids: tuple[int, ...] | None, examples: int) -> bool:
    return ids is None or len(ids) > 1


def _with_its_kota(ids: tuple[int, ...] | None, examples: int) -> list[tuple[dict, dict]] | None:
    """One kecamatan's figures, or one whole kota's: computed in one pass with those of the kota and of each
    of its kecamatan, each stored as if computed alone (a kota's screens and its kecamatan's are refreshed by
    514 passes at national size, not 7,300 + 514 computations: docs/SCALING.md). Other scopes: None."""
    if ids is None:
        return None
    kota = db.session.scalar(select(Kecamatan.kota_id).where(Kecamatan.id == ids[0]))
    neighbours = tuple(sorted(db.session.scalars(select(Kecamatan.id).where(Kecamatan.kota_id == kota))))
    if len(ids) != 1 and ids != neighbours:
        return None
    start, end = election_window()
    per_kecamatan, whole = kecamatan_dashboard_figures(
        db.session, election_now(), start, end, neighbours, ALERTS_SHOWN,
        playing_drill(db.session, election_day()), whole_examples=EXAMPLES_PER_SOURCE)
    together = [({"ids": (kecamatan_id,), "examples": ALERTS_SHOWN}, figures)
                for kecamatan_id, figures in per_kecamatan.items()]
    return together + ([({"ids": neighbours, "examples": EXAMPLES_PER_SOURCE}, whole)] if whole is not None else [])


@figure("dashboard", wide=_wider_than_a_kecamatan, together=_with_its_kota)
def _figures(ids: tuple[int, ...] | None, examples: int) -> dict:
    """The page's figures for one scope (logistics.queries.dashboard), shared between requests for a few
    seconds and kept fresh by the worker (siaga.shared_figures), on the election clock."""
    start, end = election_window()
    return dashboard_figures(db.session, election_now(), start, end, ids, examples,
                             playing_drill(db.session, election_day()))


# What the dashboard's figures count (time-based alerts move with the clock: `by_minute`).
DASHBOARD_VERSIONS = ("tps", "delivery", "health_incident", "medic_station", "person", "kecamatan", "kota")


def _shared_period() -> str:
    """Stored figures are refreshed every few seconds after the data changed: the page asks again then."""
    period = share_seconds()
    return str(int(time.time() // period)) if period else ""


@bp.get("/dashboard")
@requires(Permission.FIGURES_VIEW)
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
    kotas = kota_choices(db.session, scope) if by_kota else []
    kecamatans = kecamatan_choices(db.session, in_kota, scope) if not by_kota and in_kota is not None else []
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
        kind_label=kind_label(), severity_label=severity_label, drill_speed=figures.get("drill_speed"),
        charts=drawn_charts(figures, rows, _('Kota/Kabupaten') if by_kota else _('Kecamatan')), rounds=list(MealRound), triage=list(Triage),
        kecamatan_choices=kecamatans, kota_choices=kotas, chosen_kota=kota_id, up=up,
        kota_name=db.session.get(Kota, in_kota).nama if in_kota is not None else None,
        scope_name=scope_title(db.session, current_actor(), scope), zone_name=local_zone().name,
        chosen=query.get("kecamatan"), status_filter=query.get("status", ""), day=election_day(), now=figures["now"],
        export_status=export_statuses(query.get("status", "")),
        reports=report_panel(ids, kota_id),  # the situation report (maps/reports_web.py)
        area_gaps=figures.get("area_gaps"), kota_names={r["kota_id"]: r["nama"] for r in rows} if by_kota else {}, readiness=readiness, readiness_roles=(Role.FIELD_OFFICER, Role.COURIER, Role.MEDIC),
        # Read on every refresh (not stored with the figures): the banner comes and goes with the worker.
        worker_down=not worker_alive(db.session),
        status_choices=[(title, [(m.value, label(m)) for m in STATUS_ENUMS[subject]])
                        for subject, title in (("tps", _("Status TPS")), ("deliveries", _("Pengiriman")),
                                               ("incidents", pgettext("list", "Kejadian")))],
    )
    return render_template("maps/dashboard.html", **context)
