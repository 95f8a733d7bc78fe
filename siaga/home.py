"""`/`: the landing page. Logged-in users with a home page go there; admins and partners land here and get the
links their role needs; visitors see the deployment at a glance. The figures are those of the reader's
scope (an area admin's province, kab/kota or kecamatan; the nation for the others), named after it."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from sqlalchemy import func, select

from logistics.models import Kecamatan, Kelurahan, MedicStation, Role, Tps
from logistics.permissions.read_scope import kecamatan_ids, tps_in_scope
from logistics.queries.scope_areas import kota_in_scope, scope_title
from siaga.auth import _HOME_ENDPOINTS, current_actor, current_user, home_url
from siaga.extensions import db
from siaga.i18n import lazy_gettext, pgettext

bp = Blueprint("home", __name__)



def _links(role: Role) -> list[tuple[str, str]]:
    """The landing page's menu for roles without a page of their own (admin, partner)."""
    if role == Role.ADMIN:
        return [(url_for("maps.dashboard"), lazy_gettext("Dasbor komando")),
                (url_for("maps.live_map"), lazy_gettext("Peta langsung")),
                (url_for("users.index"), lazy_gettext("Pengguna & kartu masuk petugas")),
                (url_for("planning.meals"), lazy_gettext("Rencana konsumsi")),
                (url_for("planning.rosters"), lazy_gettext("Jadwal jaga medis")),
                (url_for("planning.logistics"), lazy_gettext("Daftar periksa logistik")),
                (url_for("api_docs.docs"), lazy_gettext("Dokumentasi API mitra"))]
    if role == Role.PARTNER:
        return [(url_for("api_docs.docs"), lazy_gettext("Dokumentasi API mitra")),
                ("/api/openapi.json", lazy_gettext("Dokumen OpenAPI (JSON)")),
                ("/api/v1/tps?format=geojson", lazy_gettext("Data TPS (GeoJSON, dengan sesi ini)")),
                ("/api/v1/incidents", lazy_gettext("Kejadian kesehatan (JSON, dengan sesi ini)"))]
    return []


@bp.get("/")
def index():
    user = current_user()
    if user is not None and user.role in _HOME_ENDPOINTS:
        return redirect(home_url(user.role))
    actor = current_actor()
    ids = kecamatan_ids(actor)
    kota = kota_in_scope(db.session, ids)
    figures = [(pgettext("count", "Kota/Kabupaten"), len(kota)), *_counts(ids)]
    links = _links(user.role) if user is not None else []
    return render_template("home/index.html", title=scope_title(db.session, actor, ids), has_areas=bool(kota),
                           figures=figures, links=links, partner=user is not None and user.role == Role.PARTNER)


def _counts(ids: list[int] | None) -> list[tuple[str, int]]:
    """Kecamatan, kelurahan, TPS, voters and medic stations within the scope (`ids`: kecamatan; None: all)."""
    def within(query, column):
        return query if ids is None else query.where(column.in_(ids))

    return [
        (pgettext("count", "Kecamatan"), db.session.scalar(within(select(func.count()).select_from(Kecamatan), Kecamatan.id))),
        (pgettext("count", "Kelurahan"), db.session.scalar(within(select(func.count()).select_from(Kelurahan), Kelurahan.kecamatan_id))),
        (pgettext("count", "TPS"), db.session.scalar(select(func.count()).select_from(Tps).where(*_tps(ids)))),
        (pgettext("count", "Pemilih (DPT)"), db.session.scalar(select(func.coalesce(func.sum(Tps.dpt), 0)).where(*_tps(ids)))),
        (pgettext("count", "Pos kesehatan"), db.session.scalar(within(select(func.count()).select_from(MedicStation), MedicStation.kecamatan_id))),
    ]


def _tps(ids: list[int] | None) -> list:
    return [] if ids is None else [tps_in_scope(ids)]


def register(app) -> None:
    app.register_blueprint(bp)
