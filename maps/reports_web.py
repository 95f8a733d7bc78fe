"""The situation report on the dashboard: made on demand for the area in view (`/dashboard/laporan.pdf`)
and the worker's hourly ones listed and downloaded (maps/situation_report.py)."""
from __future__ import annotations

from flask import Response, abort, url_for
from sqlalchemy import select

from logistics.models import Kecamatan, Kota, SituationReport
from logistics.permissions import Permission
from logistics.permissions.read_scope import load_visible
from logistics.timeutil import to_local
from siaga.election import local_zone
from maps import bp
from maps.situation_report import Scope, report_for, stored_reports
from siaga.auth import chosen_kecamatan_ids, current_actor, kecamatan_scope, requires
from siaga.election import election_window
from siaga.extensions import db
from siaga.fields import ID_PATH, FormId
from siaga.forms import FormSchema, with_query
from siaga.i18n import current_language


class ReportQuery(FormSchema):
    kecamatan = FormId()
    kota = FormId()


def _area(model, area_id: int, what: str):
    """The area asked for, as the user may see it (logistics/permissions/read_scope.py `load_visible`): an id
    that names no area is a 404, one out of the user's scope a 403."""
    return load_visible(db.session, current_actor(), model, area_id, what)


def view_scope(ids: list[int] | None, kota_id: int | None) -> Scope:
    """The dashboard's area as a report scope: one kecamatan, one kota, or everything the user sees."""
    if ids is not None and len(ids) == 1:
        return Scope("kecamatan", ids[0], _area(Kecamatan, ids[0], "Kecamatan").nama, (ids[0],))
    kota_ids = set(db.session.scalars(select(Kecamatan.kota_id).where(Kecamatan.id.in_(ids)))) if ids else set()
    if kota_id is None and ids is None and db.session.scalar(select(Kota.id).limit(2).offset(1)) is None:
        kota_id = db.session.scalar(select(Kota.id))  # a one-kota deployment: the city is the kota
    if kota_id is None and len(kota_ids) == 1:
        kota_id = next(iter(kota_ids))
    if kota_id is not None:
        return Scope("kota", kota_id, _area(Kota, kota_id, "Kota").nama, None if ids is None else tuple(sorted(ids)))
    return Scope("all", 0, "", None if ids is None else tuple(sorted(ids)))


def report_panel(ids: list[int] | None, kota_id: int | None, scope: Scope | None = None) -> dict:
    """What the dashboard shows of the reports: the on-demand link and the day's stored ones (for `scope`,
    the view's `view_scope(ids, kota_id)`, when the caller has it already)."""
    scope = scope or view_scope(ids, kota_id)
    args = {"kecamatan": scope.area_id} if scope.kind == "kecamatan" else ({"kota": kota_id} if kota_id else {})
    return {"now_url": url_for("maps.situation_report", **args),
            "stored": [(url_for("maps.stored_situation_report", report_id=i), to_local(hour, local_zone()), lang)
                       for i, hour, lang, _computed in stored_reports(db.session, scope, *election_window())]}


def _ids_of(query: dict) -> tuple[list[int] | None, int | None]:
    from maps.dashboard import _kecamatan_in_kota

    ids = chosen_kecamatan_ids()
    kota_id = query.get("kota") if query.get("kecamatan") is None else None
    if kota_id is not None:
        ids = _kecamatan_in_kota(kota_id, kecamatan_scope())
    return ids, kota_id


def _pdf(body: bytes, name: str) -> Response:
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/dashboard/laporan.pdf")
@requires(Permission.FIGURES_VIEW)
@with_query(ReportQuery)
def situation_report(query: dict):
    ids, kota_id = _ids_of(query)
    scope = view_scope(ids, kota_id)
    pdf, computed_at = report_for(db.session, scope)
    return _pdf(pdf, f"laporan-situasi-{scope.kind}-{scope.area_id}-{to_local(computed_at, local_zone()):%Y%m%d-%H%M}"
                     f"-{current_language()}.pdf")


@bp.get(f"/dashboard/laporan/<{ID_PATH}:report_id>.pdf")
@requires(Permission.FIGURES_VIEW)
def stored_situation_report(report_id: int):
    report = db.session.get(SituationReport, report_id)
    if report is None:
        abort(404)
    scope = kecamatan_scope()
    if scope is not None:  # a kecamatan coordinator: their kecamatan's, or a kota wholly theirs
        area = ([report.area_id] if report.scope == "kecamatan" else
                list(db.session.scalars(select(Kecamatan.id).where(Kecamatan.kota_id == report.area_id))))
        if report.scope not in ("kecamatan", "kota") or not area or not set(area) <= set(scope):
            abort(403)
    return _pdf(report.pdf, f"laporan-situasi-{report.scope}-{report.area_id}-{to_local(report.hour, local_zone()):%Y%m%d-%H}"
                            f"-{report.lang}.pdf")
