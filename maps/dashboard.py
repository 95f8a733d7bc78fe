"""/dashboard: figures per area (kota, or the kecamatan of one kota, with drill-down), totals, alerts counted
per area (worst first) with the most urgent examples, incidents per hour; all computed by the database."""
from __future__ import annotations

import threading
from collections import OrderedDict

from flask import abort, g, render_template, request, url_for
from markupsafe import Markup
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
from maps.reports_web import report_panel, view_scope
from siaga.election import election_day, election_now, election_settings, election_window, local_zone
from siaga.live import live_page
from siaga.shared_figures import Snapshot, figure, snapshot
from siaga.worker.heartbeat import worker_alive
from siaga.auth import chosen_kecamatan_ids, current_actor, current_user, kecamatan_scope, requires
from siaga.extensions import db
from siaga.fields import FormChoice, FormId
from siaga.forms import FormSchema, parsed_query, with_query
from logistics.texts import lazy_gettext
from siaga.i18n import _, current_language, label, pgettext

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


def _its_kota(ids: tuple[int, ...] | None, examples: int) -> str | None:
    """The pass `_with_its_kota` computes these figures in: their kota's (None: the nation, computed alone).
    A scope of several kecamatan that is not a whole kota is computed alone, and named by its first one's
    kota all the same: it then waits for that kota's pass, never runs beside it."""
    if ids is None:
        return None
    return f"kota {db.session.scalar(select(Kecamatan.kota_id).where(Kecamatan.id == ids[0]))}"


@figure("dashboard", wide=_wider_than_a_kecamatan, together=_with_its_kota, pass_of=_its_kota)
def _figures(ids: tuple[int, ...] | None, examples: int) -> dict:
    """The page's figures for one scope (logistics.queries.dashboard), shared between requests for a few
    seconds and kept fresh by the worker (siaga.shared_figures), on the election clock."""
    start, end = election_window()
    return dashboard_figures(db.session, election_now(), start, end, ids, examples,
                             playing_drill(db.session, election_day()))


# What the dashboard's figures count (time-based alerts move with the clock: `by_minute`): the page's tag
# when its figures are computed for the request (sharing off, a past election browsed).
DASHBOARD_VERSIONS = ("tps", "delivery", "health_incident", "medic_station", "person", "kecamatan", "kota")


def _request_figures() -> tuple[list[int] | None, list[int] | None, int | None, Snapshot]:
    """(scope, ids, kota_id, snapshot) of this request, found once: the page's tag is made from the stored
    snapshot's identity before the view runs, and the view shows that snapshot."""
    found = g.get("dashboard_figures")
    if found is None:
        query = parsed_query(DashboardQuery)
        scope = kecamatan_scope()
        ids = chosen_kecamatan_ids()
        kota_id = query.get("kota") if query.get("kecamatan") is None else None
        if kota_id is not None:
            ids = _kecamatan_in_kota(kota_id, scope)
        single = ids is not None and len(ids) == 1
        found = g.dashboard_figures = (scope, ids, kota_id, snapshot(
            "dashboard", ids=None if ids is None else tuple(sorted(ids)),
            examples=ALERTS_SHOWN if single else EXAMPLES_PER_SOURCE))
    return found


def _tagged_by() -> tuple[str, ...]:
    """Stored figures change only when their snapshot does (its identity is in the tag: `_snapshot_identity`),
    so the data's versions are left out, and a poll is a 304 until the worker stored new figures (whatever
    the data did meanwhile). Computed for the request, the page follows the data's versions."""
    return () if _request_figures()[3].identity else DASHBOARD_VERSIONS


def _snapshot_identity() -> str:
    return _request_figures()[3].identity


class _Kept:
    """What was made from one stored snapshot, kept per process (the last `size`, by key), so a refresh from
    an unchanged snapshot makes it once: key None is never kept (figures computed for this request)."""

    def __init__(self, size: int):
        self.size, self._kept, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key: tuple | None, make):
        if key is None:
            return make()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        kept = make()
        with self._lock:
            self._kept[key] = kept
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return kept


# The pieces of the page that show the figures (alerts, table, charts, readiness: ~100 KB for a kecamatan
# with its 100 alerts, up to ~1 MB for the nation's 514 kab/kota), per snapshot and what else they show, as
# many as the charts' SVG kept (maps/charts.py); and the areas' names around them, per reader.
_pieces, _areas = _Kept(32), _Kept(256)


_STATUS_CHOICES: dict[str, list] = {}


def _status_choices() -> list:
    """The downloads' status filter, in the current language (made once per language: fixed labels)."""
    language = current_language()
    made = _STATUS_CHOICES.get(language)
    if made is None:
        made = _STATUS_CHOICES[language] = [
            (title, [(m.value, label(m)) for m in STATUS_ENUMS[subject]])
            for subject, title in (("tps", _("Status TPS")), ("deliveries", _("Pengiriman")),
                                   ("incidents", pgettext("list", "Kejadian")))]
    return made


@bp.get("/dashboard")
@requires(Permission.FIGURES_VIEW)
@live_page(_tagged_by, by_minute=True, extra=_snapshot_identity)
@with_query(DashboardQuery)
def dashboard(query: dict):
    scope, ids, kota_id, stored = _request_figures()
    single = ids is not None and len(ids) == 1
    chosen = query.get("kecamatan")
    zone = local_zone()
    # Everything the pieces show besides the figures: the language, the reader's clock, the election's
    # settings (the alerts' labels), the kecamatan and kota chosen (links). The kota's name in the table's
    # total is read when the snapshot is first rendered, as the snapshot's rows carry their areas' names.
    key = (stored.identity, current_language(), zone.name, repr(election_settings()), chosen, kota_id,
           request.script_root) if stored.identity else None

    def render() -> dict:
        figures = stored.value
        kec_rows = figures["rows"]
        by_kota = figures["kota_rows"] is not None
        rows = figures["kota_rows"] if by_kota else kec_rows
        alerts_total = figures["alerts_total"]
        examples = figures["examples"][:ALERTS_SHOWN if single else EXAMPLES_SHOWN]
        in_kota = kota_id if kota_id is not None else (kec_rows[0]["kota_id"] if kec_rows and not by_kota else None)
        context = dict(
            rows=rows, by_kota=by_kota, totals=figures["totals"], single=single,
            alerts=examples, alerts_total=alerts_total, alerts_more=max(0, alerts_total - len(examples)),
            alert_kinds=figures["alert_kinds"], alert_areas=figures["alert_areas"], severities=list(SEVERITY),
            kind_label=kind_label(), severity_label=severity_label, drill_speed=figures.get("drill_speed"),
            charts=drawn_charts(figures, rows, _('Kota/Kabupaten') if by_kota else _('Kecamatan')),
            rounds=list(MealRound), triage=list(Triage),
            kota_name=db.session.get(Kota, in_kota).nama if in_kota is not None else None, chosen=chosen,
            area_gaps=figures.get("area_gaps"), kota_names={r["kota_id"]: r["nama"] for r in rows} if by_kota else {},
            readiness=figures["readiness"], readiness_roles=(Role.FIELD_OFFICER, Role.COURIER, Role.MEDIC),
            zone=zone,  # the alerts' times: the reader's clock, found once for the hundred of them
        )
        readiness = figures["readiness"]
        return {
            "alerts": Markup(render_template("maps/_dashboard_alerts.html", **context)),
            "table": Markup(render_template("maps/_dashboard_table.html", **context)),
            "charts": Markup(render_template("maps/_charts.html", **context)),
            "readiness": Markup(render_template("maps/_readiness.html", **context) if readiness is not None else ""),
            # What the rest of the page needs from the figures.
            "by_kota": by_kota, "in_kota": in_kota, "now": figures["now"],
        }

    pieces = _pieces.get(key, render)
    by_kota, in_kota = pieces["by_kota"], pieces["in_kota"]

    def areas() -> dict:
        # The filter lists the kota (national view) or the kecamatan of the kota in view, never 7,007 options.
        return {"kotas": kota_choices(db.session, scope) if by_kota else [],
                "kecamatans": kecamatan_choices(db.session, in_kota, scope) if not by_kota and in_kota is not None else [],
                "kota_name": db.session.get(Kota, in_kota).nama if in_kota is not None else None,
                "scope_name": scope_title(db.session, current_actor(), scope),
                "report_scope": view_scope(ids, kota_id)}

    # The areas' names around the figures, read again with each new snapshot (as the figures' own rows are):
    # they depend on the reader's scope and area, so on the user and their session version.
    user = current_user()
    named = _areas.get(key and (*key, user.id, user.session_version), areas)
    # Up one level: from a kota to the nation, from a kecamatan to its kota (when the scope is wider).
    up = None
    if kota_id is not None:
        up = url_for("maps.dashboard")
    elif single and chosen is not None and scope != ids and in_kota is not None:
        up = url_for("maps.dashboard", kota=in_kota)
    context = dict(
        pieces=pieces, up=up, kota_name=named["kota_name"], kecamatan_choices=named["kecamatans"],
        kota_choices=named["kotas"], chosen_kota=kota_id, chosen=chosen, status_filter=query.get("status", ""),
        day=election_day(), now=pieces["now"], scope_name=named["scope_name"], zone_name=zone.name,
        export_status=export_statuses(query.get("status", "")),
        reports=report_panel(ids, kota_id, named["report_scope"]),  # the situation report (maps/reports_web.py)
        # Read on every refresh (not stored with the figures): the banner comes and goes with the worker.
        worker_down=not worker_alive(db.session),
        status_choices=_status_choices(),
    )
    return render_template("maps/dashboard.html", **context)
