"""`/`: the landing page. Logged-in users go to their own home; visitors see the city at a glance."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template
from sqlalchemy import func, select

from logistics.models import Kecamatan, Kelurahan, Kota, MedicStation, Tps
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
})


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
    return render_template("home/index.html", kota=kota, figures=figures)
