"""`/`: the landing page. Logged-in users with a home page go there; admins and partners land here and get the
links their role needs; visitors see the city at a glance."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from sqlalchemy import func, select

from logistics.models import Kecamatan, Kelurahan, Kota, MedicStation, Role, Tps
from siaga.auth import _HOME_ENDPOINTS, current_user, home_url
from siaga.extensions import db
from siaga.i18n import register_english

bp = Blueprint("home", __name__)

register_english({
    "Kembali ke beranda": "Back to home",
    "Pemantauan logistik, konsumsi dan kesehatan petugas TPS pada hari pemungutan suara.":
        "Tracking logistics, meals and the health of polling-station officers on election day.",
    "Kecamatan": "Districts (kecamatan)",
    "Kelurahan": "Villages (kelurahan)",
    "TPS": "Polling stations (TPS)",
    "Pemilih (DPT)": "Registered voters (DPT)",
    "Pos kesehatan": "Medic stations",
    "Belum ada data. Jalankan `flask --app wsgi seed-demo`.": "No data yet. Run `flask --app wsgi seed-demo`.",
    "Menu": "Menu", "Dasbor komando": "Command dashboard", "Peta langsung": "Live map",
    "Pengguna & kartu masuk petugas": "Users & field staff login cards", "Rencana konsumsi": "Meal plan",
    "Jadwal jaga medis": "Medic rosters", "Daftar periksa logistik": "Logistics checklist",
    "Dokumentasi API mitra": "Partner API documentation", "Dokumen OpenAPI (JSON)": "OpenAPI document (JSON)",
    "Data TPS (GeoJSON, dengan sesi ini)": "TPS data (GeoJSON, with this session)",
    "Kejadian kesehatan (JSON, dengan sesi ini)": "Health incidents (JSON, with this session)",
    "Mendapatkan token API": "Getting an API token",
    "Selama masuk di peramban ini, tautan API di atas bisa dibuka langsung. Untuk aplikasi atau skrip instansi "
    "Anda, minta token ke admin Siaga TPS: token dibuat untuk instansi {agency} dengan izin (scope) yang "
    "diperlukan, ditampilkan sekali saja, lalu dikirim di setiap permintaan sebagai "
    "`Authorization: Bearer <token>`.":
        "While logged in on this browser, the API links above open directly. For your agency's application or "
        "scripts, ask the Siaga TPS admin for a token: it is made for the agency {agency} with the scopes "
        "needed, shown once only, and sent with every request as `Authorization: Bearer <token>`.",
    "Admin membuat token dengan:": "The admin makes a token with:",
})


def _links(role: Role) -> list[tuple[str, str]]:
    """The landing page's menu for roles without a page of their own (admin, partner)."""
    if role == Role.ADMIN:
        return [(url_for("maps.dashboard"), "Dasbor komando"), (url_for("maps.live_map"), "Peta langsung"),
                (url_for("users.index"), "Pengguna & kartu masuk petugas"),
                (url_for("planning.meals"), "Rencana konsumsi"), (url_for("planning.rosters"), "Jadwal jaga medis"),
                (url_for("planning.logistics"), "Daftar periksa logistik"),
                (url_for("api_docs.docs"), "Dokumentasi API mitra")]
    if role == Role.PARTNER:
        return [(url_for("api_docs.docs"), "Dokumentasi API mitra"), ("/api/openapi.json", "Dokumen OpenAPI (JSON)"),
                ("/api/v1/tps?format=geojson", "Data TPS (GeoJSON, dengan sesi ini)"),
                ("/api/v1/incidents", "Kejadian kesehatan (JSON, dengan sesi ini)")]
    return []


@bp.get("/")
def index():
    user = current_user()
    if user is not None and user.role in _HOME_ENDPOINTS:
        return redirect(home_url(user.role))
    kota = db.session.scalar(select(Kota).order_by(Kota.id).limit(1))
    figures = {
        "Kecamatan": db.session.scalar(select(func.count()).select_from(Kecamatan)),
        "Kelurahan": db.session.scalar(select(func.count()).select_from(Kelurahan)),
        "TPS": db.session.scalar(select(func.count()).select_from(Tps)),
        "Pemilih (DPT)": db.session.scalar(select(func.coalesce(func.sum(Tps.dpt), 0))),
        "Pos kesehatan": db.session.scalar(select(func.count()).select_from(MedicStation)),
    }
    links = _links(user.role) if user is not None else []
    return render_template("home/index.html", kota=kota, figures=figures, links=links,
                           partner=user is not None and user.role == Role.PARTNER)
