"""`/`: the landing page. Logged-in users with a home page go there; admins and partners land here and get the
links their role needs; visitors see the city at a glance."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from sqlalchemy import func, select

from logistics.models import Kecamatan, Kelurahan, Kota, MedicStation, Role, Tps
from siaga.auth import _HOME_ENDPOINTS, current_user, home_url
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
    kota = db.session.scalar(select(Kota).order_by(Kota.id).limit(1))
    figures = [
        (pgettext("count", "Kecamatan"), db.session.scalar(select(func.count()).select_from(Kecamatan))),
        (pgettext("count", "Kelurahan"), db.session.scalar(select(func.count()).select_from(Kelurahan))),
        (pgettext("count", "TPS"), db.session.scalar(select(func.count()).select_from(Tps))),
        (pgettext("count", "Pemilih (DPT)"), db.session.scalar(select(func.coalesce(func.sum(Tps.dpt), 0)))),
        (pgettext("count", "Pos kesehatan"), db.session.scalar(select(func.count()).select_from(MedicStation))),
    ]
    links = _links(user.role) if user is not None else []
    return render_template("home/index.html", kota=kota, figures=figures, links=links,
                           partner=user is not None and user.role == Role.PARTNER)


def register(app) -> None:
    app.register_blueprint(bp)
