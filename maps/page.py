"""/map: the coordinators' live map page, opening on the reader's area (its extent and clock)."""
from __future__ import annotations

from flask import render_template, url_for

from logistics.models import TpsStatus, Triage
from logistics.permissions import Permission
from logistics.queries.scope_areas import scope_bounds
from maps import bp, marks
from siaga.auth import kecamatan_scope
from maps.data import BOUNDARY_MIN_ZOOM, DETAIL_ZOOM, MEAL_LABELS
from maps.folium_page import BOUNDARIES, build_map
from siaga.auth import requires
from siaga.election import local_zone
from siaga.extensions import db
from siaga.i18n import _, label, pgettext



@bp.get("/map")
@requires(Permission.FIGURES_VIEW)
def live_map():
    scope = kecamatan_scope()
    names = {"kota": _("Batas kota/kabupaten"), "kecamatan": _("Batas kecamatan"), "kelurahan": _("Batas kelurahan"), "tps": _("TPS"),
             "incidents": _("Kejadian kesehatan terbuka"), "stations": _("Pos kesehatan & jangkauan"),
             "facilities": _("Fasilitas kesehatan")}
    legend = {"title": _("Keterangan"), "status": [(s.value, label(s)) for s in TpsStatus],
              "meals": [(m.value, _(text)) for m, text in MEAL_LABELS.items()],
              "triage": [(t.value, label(t)) for t in Triage],
              "station": _("Pos kesehatan & jangkauan"), "facility": _("Fasilitas kesehatan"),
              "cell": _("Kumpulan TPS (perbesar peta untuk rinciannya)")}
    parts = build_map(names, legend)
    zone = local_zone()  # the reader's area's clock (siaga.election.local_zone)
    # pollsAll: the layers that change rarely (stations, facilities) are asked every 12th check, about a minute.
    config = {"detailZoom": DETAIL_ZOOM, "pollsAll": 12, "marks": marks.config(),
              # The "updated" stamp: the server's time (each answer's Date header) shown in the election's zone.
              "zone": {"name": zone.tz.key, "abbr": zone.name}, "bounds": scope_bounds(db.session, scope),
              "urls": {key: url_for(f"maps.{key}_geojson") for key in ("tps", "incidents", "stations", "facilities")},
              "boundaries": {level: {"url": url_for("maps.boundaries_geojson", level=level),
                                     "minZoom": BOUNDARY_MIN_ZOOM[level]} for level in BOUNDARIES},
              "texts": {"error": _("Gagal memuat data; mencoba lagi…"), "updated": _("Diperbarui"),
                        "officers": _("Petugas hadir"), "dpt": _("Pemilih (DPT)"), "open": _("Buka catatan"),
                        "nearest": _("Pos kesehatan terdekat"), "meals": _("Konsumsi hari ini"),
                        "tpsCount": _("TPS"), "opened": pgettext("count", "Dibuka"), "closed": _("Ditutup"),
                        "patient": _("Pasien"), "notes": _("Catatan"), "station": _("Pos"),
                        "staffed": _("Ada petugas"), "unstaffed": _("Belum ada petugas"),
                        "ambulances": _("Ambulans"), "covers": _("Jangkauan"), "farthest": _("terjauh"),
                        "reported": _("Dilaporkan"), "hours": _("Jam layanan")}}
    return render_template("maps/map.html", parts=parts, config=config)
