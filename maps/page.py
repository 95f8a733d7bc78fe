"""/map: the coordinators' live map page."""
from __future__ import annotations

from flask import render_template, url_for

from logistics.models import Role, TpsStatus, Triage
from maps import bp
from siaga.auth import kecamatan_scope
from maps.data import DETAIL_ZOOM, MEAL_LABELS
from maps.folium_page import build_map
from siaga.auth import login_required
from siaga.extensions import db
from siaga.i18n import _, label, register_english

register_english({
    "Peta langsung": "Live map",
    "Batas kecamatan": "Kecamatan boundaries",
    "Batas kelurahan": "Kelurahan boundaries",
    "Kejadian kesehatan terbuka": "Open health incidents",
    "Pos kesehatan & jangkauan": "Medic stations & coverage",
    "Fasilitas kesehatan": "Health facilities",
    "Keterangan": "Legend",
    "Kumpulan TPS (perbesar peta untuk rinciannya)": "Groups of TPS (zoom in for details)",
    "Warna TPS": "Colour TPS by",
    "Status hari-H": "Election-day status",
    "Konsumsi hari ini": "Today's meals",
    "Diperbarui": "Updated",
    "Gagal memuat data; mencoba lagi…": "Could not load data; retrying…",
    "Dasbor": "Dashboard",
    "Petugas hadir": "Officers present", "Buka catatan": "Open record", "Pos kesehatan terdekat": "Nearest medic station", "Dibuka": "Opened", "Ditutup": "Closed", "Pasien": "Patient", "Catatan": "Notes", "Pos": "Station", "Ada petugas": "Staffed", "Belum ada petugas": "Not staffed", "Ambulans": "Ambulances", "Jangkauan": "Covers", "terjauh": "farthest", "Dilaporkan": "Reported", "Jam layanan": "Opening hours",
})


@bp.get("/map")
@login_required(Role.COORDINATOR)
def live_map():
    scope = kecamatan_scope()
    names = {"kecamatan": _("Batas kecamatan"), "kelurahan": _("Batas kelurahan"), "tps": _("TPS"),
             "incidents": _("Kejadian kesehatan terbuka"), "stations": _("Pos kesehatan & jangkauan"),
             "facilities": _("Fasilitas kesehatan")}
    legend = {"title": _("Keterangan"), "status": [(s.value, label(s)) for s in TpsStatus],
              "meals": [(m.value, _(text)) for m, text in MEAL_LABELS.items()],
              "triage": [(t.value, label(t)) for t in Triage],
              "station": _("Pos kesehatan & jangkauan"), "facility": _("Fasilitas kesehatan"),
              "cell": _("Kumpulan TPS (perbesar peta untuk rinciannya)")}
    parts = build_map(db.session, names, legend, scope[0] if scope else None)
    config = {"detailZoom": DETAIL_ZOOM, "pollMs": 10_000,
              "urls": {key: url_for(f"maps.{key}_geojson") for key in ("tps", "incidents", "stations", "facilities")},
              "texts": {"error": _("Gagal memuat data; mencoba lagi…"), "updated": _("Diperbarui"),
                        "officers": _("Petugas hadir"), "dpt": _("Pemilih (DPT)"), "open": _("Buka catatan"),
                        "nearest": _("Pos kesehatan terdekat"), "meals": _("Konsumsi hari ini"),
                        "tpsCount": _("TPS"), "opened": _("Dibuka"), "closed": _("Ditutup"),
                        "patient": _("Pasien"), "notes": _("Catatan"), "station": _("Pos"),
                        "staffed": _("Ada petugas"), "unstaffed": _("Belum ada petugas"),
                        "ambulances": _("Ambulans"), "covers": _("Jangkauan"), "farthest": _("terjauh"),
                        "reported": _("Dilaporkan"), "hours": _("Jam layanan")}}
    return render_template("maps/map.html", parts=parts, config=config)
