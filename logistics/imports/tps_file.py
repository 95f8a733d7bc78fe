"""Import TPS from the lists KPU, SIREKAP, KawalPemilu and Kemendagri really publish.

Columns are recognised under their usual spellings (`idDesa`, `kode_desa`, `desa`, `noTps`, `latitude`,
`jumlah_dpt`...) or named by the user (`mapping`: {file header: our column}). A row's kelurahan is found by
its Kemendagri code (dotted or 10 digits, or KPU's 13-digit TPS code: the kelurahan's 10 and the TPS number),
else by name within its kecamatan within its kab/kota (`places.AreaTree`: KPU's own numbers such as
`4631-TANGERANG`, `58390-SUKARASA`, `1658390001-TPS 001` are read as names and numbers). Only a TPS number
and a kelurahan are required: a row without coordinates is placed at an approximate position (its
kelurahan's point, else its kecamatan's or kab/kota's, else the middle of the file's other TPS there), a row
without DPT is kept with DPT unknown. Bad coordinates (out of range, lat/lon swapped, far outside the area)
refuse the file, or, asked to (`approximate_bad_points`, "import with warnings"), become approximate
positions with a warning per row. A point just outside its kelurahan (drawn or simplified boundaries) is a
warning. A re-import updates in place (same kelurahan and number), changing only what the file says, and
reports each change. Every row is checked before anything is written.
"""
from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from logistics.actor import Actor
from logistics.imports import fields as f
from logistics.area_list import area_list
from logistics.imports.places import KelurahanFinder, Shapes, kelurahan_code, name_key, plain_name
from logistics.imports.report import ImportReport, no_rows_error, open_sheet, upsert
from logistics.imports.table import RowError
from logistics.models import Kecamatan, Kelurahan, Kota, Tps, TpsKind
from logistics.rules.geo import haversine_m
from logistics.permissions import Permission, Target, may, require
from logistics.services.common import commit
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work

COLUMNS = {
    "kode_kelurahan": ("kode_wilayah", "kode_desa", "kd_kel", "kelurahan_kode", "kode_kel", "id_desa",
                       "id_kelurahan", "kode_desa_kelurahan", "kode_kemendagri", "kdepum", "kode_kel_desa"),
    "kelurahan": ("desa", "nama_kelurahan", "nama_desa", "desa_kelurahan", "kelurahan_desa", "nama_kel",
                  "kel", "nama_desa_kelurahan"),
    "kode_kecamatan": ("id_kecamatan", "kode_kec", "kd_kec", "kecamatan_kode"),
    "kecamatan": ("nama_kecamatan", "nama_kec", "kec"),
    "kode_kota": ("id_kabupaten", "kode_kabupaten", "kode_kab", "id_kota", "kode_kab_kota", "id_kab_kota"),
    "kota": ("kabupaten", "nama_kabupaten", "kab_kota", "kabupaten_kota", "nama_kota", "kota_kabupaten"),
    "no_tps": ("tps", "nomor_tps", "no", "tps_no", "nomor"),
    "kode_tps": ("id_tps", "kd_tps", "tps_kode", "kode_tps_kpu"),
    "alamat": ("address", "alamat_tps", "lokasi", "lokasi_tps"),
    "lat": ("latitude", "lintang"),
    "lon": ("longitude", "lng", "long", "bujur"),
    "dpt": ("jumlah_dpt", "dpt_total", "total_dpt", "jml_dpt", "dpt_jumlah", "total_pemilih"),
    "dpt_l": ("dpt_laki_laki", "laki_laki", "dpt_lk", "jml_dpt_l"),
    "dpt_p": ("dpt_perempuan", "perempuan", "dpt_pr", "jml_dpt_p"),
    "jenis": ("jenis_tps", "kind"),
    "lokasi_khusus": ("special_location", "nama_lokasi_khusus"),
}
REQUIRED = ()  # a TPS number (`no_tps`, or within KPU's `kode_tps`) and a kelurahan: _place_missing
MAX_DPT = 1000
# Kelurahan polygons are simplified, neighbours overlap or leave gaps, and drawn (Voronoi) areas are only a
# guess: a point up to FAR_OUTSIDE_M outside its own kelurahan is taken as in it, up to NEAR_OUTSIDE_M is a
# warning (just outside); further, or that far outside its kab/kota, is a bad point (a typo, lost digits,
# the wrong kelurahan).
FAR_OUTSIDE_M = 250
NEAR_OUTSIDE_M = 1_000
# An area set up from the list has no outline yet: a point is bad when it lies further from the middle of
# its kab/kota's other points than the larger of these (a spread measured on the file itself).
STRAY_MIN_M, STRAY_SPREAD = 25_000, 4
KPU_TPS_CODE = re.compile(r"^(\d{10})(\d{3})$")  # the kelurahan's Kemendagri code and the TPS number
SAME_POINT_DECIMALS = 5  # ~1 m
TPS_NUMBER = re.compile(r"^(?:\d+\s*-\s*)?(?:tps\s*)?0*(\d{1,4})$", re.IGNORECASE)  # 1658390001-TPS 001
KINDS = {"": TpsKind.REGULAR, "reguler": TpsKind.REGULAR, "regular": TpsKind.REGULAR, "biasa": TpsKind.REGULAR,
         "khusus": TpsKind.SPECIAL, "lokasi khusus": TpsKind.SPECIAL, "special": TpsKind.SPECIAL}


@in_unit_of_work
def import_tps(session: Session, actor: Actor, path: Path, progress: Callable[[int], None] | None = None,
               *, mapping: dict[str, str] | None = None, dry_run: bool = False,
               approximate_bad_points: bool = False) -> ImportReport:
    """Check every row; write nothing unless all rows are right (and nothing at all in a dry run).
    `approximate_bad_points`: a row whose coordinates are wrong is kept at an approximate position, with a
    warning, instead of refusing the file."""
    require(may(actor, Permission.IMPORT_TPS), lazy_gettext("Hanya admin dan koordinator yang dapat mengimpor TPS"))
    report = ImportReport(dry_run=dry_run)
    sheet = open_sheet(path, COLUMNS, REQUIRED, report, also_missing=_place_missing, mapping=mapping)
    if sheet is None:
        return report
    columns, rows = sheet
    finder = KelurahanFinder(session.scalars(select(Kelurahan).options(
        selectinload(Kelurahan.kecamatan).selectinload(Kecamatan.kota))).all(), elsewhere=_not_set_up(session))
    shapes = Shapes()
    parsed: list[tuple[int, Kelurahan, dict]] = []
    seen: dict[tuple[int, int], int] = {}
    by_name = 0
    for number, cells in rows:
        report.rows += 1
        values, kel = _parse(cells, finder, number, report.errors)
        if kel is not None and values.pop("matched_by_name"):
            by_name += 1
        if kel is not None and not may(actor, Permission.IMPORT_TPS, Target(kecamatan_id=kel.kecamatan_id)):
            report.errors.append(RowError(number, "kode_kelurahan", lazy_gettext("di luar wilayah Anda")))
        elif kel is not None:
            if values["lat"] is not None and values["bad_point"] is None:
                values["bad_point"] = _check_place(shapes, kel, values, number, report)
            if values["number"] is not None:
                key = (kel.id, values["number"])
                if key in seen:
                    report.errors.append(RowError(number, "no_tps", lazy_gettext(
                        "TPS yang sama sudah ada di baris {row}", row=seen[key])))
                seen[key] = number
            parsed.append((number, kel, values))
        if progress:
            progress(1)
    _stray_points(parsed)
    _place(parsed, report, approximate_bad_points)
    no_rows_error(report)
    report.errors.sort(key=lambda e: e.row)
    report.warnings.sort(key=lambda e: e.row)
    _notes(report, columns, parsed, by_name)
    if report.errors:
        return report
    _apply(session, actor, parsed, set(columns), report)
    return report


def _not_set_up(session: Session):
    """A hint for a kab/kota name the deployment lacks: the same name in the national list, within the
    provinces already set up (all of them if none is)."""
    provinces = {k[:2] for k in session.scalars(select(Kota.kode_kemendagri))}
    listed = area_list()

    def elsewhere(name: str) -> str | None:
        key = name_key(name)
        found = [a for p in listed.provinces() if not provinces or p.kode in provinces
                 for a in listed.children(p.kode) if name_key(a.nama) == key]
        return ", ".join(f"{a.nama} ({a.kode})" for a in found) or None

    return elsewhere


def _stray_points(parsed: list) -> None:
    """Areas with no outline yet (picked from the list): a point far from its kab/kota's other points is bad."""
    by_kota: dict[int, list[dict]] = {}
    for _number, kel, v in parsed:
        if v["lat"] is not None and v["bad_point"] is None and kel.kecamatan.kota.boundary is None:
            by_kota.setdefault(kel.kecamatan.kota_id, []).append(v)
    for kota_id, points in by_kota.items():
        if len(points) < 5:
            continue
        middle = (statistics.median(v["lat"] for v in points), statistics.median(v["lon"] for v in points))
        distances = [haversine_m(v["lat"], v["lon"], *middle) for v in points]
        limit = max(STRAY_MIN_M, STRAY_SPREAD * statistics.median(distances))
        for v, metres in zip(points, distances):
            if metres > limit:
                v["bad_point"] = lazy_gettext("{km} km dari titik tengah TPS lain di kab/kota ini (angka hilang? lat/lon tertukar?)",
                                              km=f"{metres / 1000:,.0f}")


def _place(parsed: list, report: ImportReport, approximate_bad_points: bool) -> None:
    """Each row's position: its own point, or (no point, or a bad one taken as a warning) an approximate one.
    A bad point refuses the file unless `approximate_bad_points`."""
    good: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for _number, kel, v in parsed:
        if v["lat"] is not None and v["bad_point"] is None:
            for key in (("kel", kel.id), ("kec", kel.kecamatan_id), ("kota", kel.kecamatan.kota_id)):
                good.setdefault(key, []).append((v["lat"], v["lon"]))
    points: dict[tuple[float, float], int] = {}
    for number, kel, v in parsed:
        if v["bad_point"] is not None:
            if approximate_bad_points:
                report.warnings.append(RowError(number, "lat/lon", lazy_gettext(
                    "{problem}: ditaruh di posisi perkiraan", problem=v["bad_point"])))
                v["lat"] = v["lon"] = None
            else:
                report.errors.append(RowError(number, "lat/lon", v["bad_point"]))
        if v["lat"] is not None:
            key = (round(v["lat"], SAME_POINT_DECIMALS), round(v["lon"], SAME_POINT_DECIMALS))
            if key in points:
                report.warnings.append(RowError(number, "lat/lon", lazy_gettext(
                    "titik yang sama dengan baris {row}", row=points[key])))
            points.setdefault(key, number)
            shown = (v["lat"], v["lon"])
        else:
            v["approximate"] = shown = _approximate(kel, good)
            if shown is None:
                report.errors.append(RowError(number, "lat/lon", lazy_gettext(
                    "tanpa koordinat, dan Kel. {kelurahan} belum punya titik: isi lat/lon atau impor batas wilayahnya dulu",
                    kelurahan=kel.nama)))
        report.per_group[kel.kecamatan.nama] += 1
        label = f"Kel. {kel.nama} TPS {v['number']:03d}" if v["number"] else f"Kel. {kel.nama}"
        if shown is not None:
            report.points.append(dict(lat=shown[0], lon=shown[1], label=label, approximate=v["lat"] is None,
                                      flagged=v["bad_point"] is not None))


def _approximate(kel: Kelurahan, good: dict) -> tuple[float, float] | None:
    """The kelurahan's point, else its kecamatan's or kab/kota's, else the middle of the file's good points in
    the kelurahan, kecamatan or kab/kota."""
    for area in (kel, kel.kecamatan, kel.kecamatan.kota):
        if area.label_lat is not None:
            return area.label_lat, area.label_lon
    for key in (("kel", kel.id), ("kec", kel.kecamatan_id), ("kota", kel.kecamatan.kota_id)):
        if key in good:
            return (round(statistics.median(p[0] for p in good[key]), 6),
                    round(statistics.median(p[1] for p in good[key]), 6))
    return None


def _place_missing(columns: list[str]) -> list[str]:
    """A kelurahan is found by code (its own, or KPU's TPS code) or by name; coordinates come both or not at
    all; DPT as a total or as men and women (or not at all)."""
    missing = [] if {"kode_kelurahan", "kelurahan", "kode_tps"} & set(columns) else ["kode_kelurahan"]
    if not {"no_tps", "kode_tps"} & set(columns):
        missing.insert(0, "no_tps")
    if ("lat" in columns) != ("lon" in columns):
        missing.append("lon" if "lat" in columns else "lat")
    if ("dpt_l" in columns) != ("dpt_p" in columns) and "dpt" not in columns:
        missing.append("dpt_p" if "dpt_l" in columns else "dpt_l")
    return missing


def tps_number(value: str) -> int:
    """`7`, `007`, `TPS 007`, `1658390001-TPS 007`, `3671011001007` (KPU's TPS code) -> 7."""
    kpu = KPU_TPS_CODE.match(f.required(value).strip())
    if kpu:
        value = kpu.group(2)
    match = TPS_NUMBER.match(value.strip())
    if not match:
        raise f.CellError(lazy_gettext("nomor TPS tidak dikenali: {value} (contoh 7, 007, TPS 007)", value=repr(value)))
    number = int(match.group(1))
    if not 1 <= number <= 999:
        raise f.CellError(lazy_gettext("harus antara {low} dan {high}", low=1, high=999))
    return number


def _parse(cells: dict, finder: KelurahanFinder, number: int, errors: list[RowError]) -> tuple[dict, Kelurahan | None]:
    """The row's values (None where a cell is wrong or empty, with any error added) and its kelurahan."""
    values: dict = {}

    def cell(column: str, parse):
        try:
            return parse(cells.get(column, ""))
        except f.CellError as exc:
            errors.append(RowError(number, column, str(exc)))
            return None

    raw_code, name = cells.get("kode_kelurahan", ""), cells.get("kelurahan", "")
    kpu = KPU_TPS_CODE.match(cells.get("kode_tps", "").strip() or cells.get("no_tps", "").strip())
    if kpu and not raw_code:
        raw_code = kpu.group(1)
    code = kelurahan_code(raw_code) if raw_code else None
    if raw_code and code is None and not name:
        errors.append(RowError(number, "kode_kelurahan", lazy_gettext("kode Kemendagri tidak valid: {value} (contoh 19.71.01.1004 atau 1971011004)",
                                                                      value=repr(raw_code))))
        kel = None
    else:
        kel, miss = finder.locate(code, name, cells.get("kecamatan", ""), cells.get("kode_kecamatan", ""),
                                  cells.get("kota", ""), cells.get("kode_kota", ""))
        if kel is None:
            errors.append(RowError(number, "kode_kelurahan" if code and not name else miss.column, miss.message))
    values["matched_by_name"] = kel is not None and kel.kode_kemendagri != code
    if cells.get("no_tps") or not kpu:
        values["number"] = cell("no_tps", tps_number)
    else:
        values["number"] = int(kpu.group(2)) or None
    values["address"] = cell("alamat", lambda v: f.text(v, 240)) if cells.get("alamat") else None
    values["lat"] = values["lon"] = values["bad_point"] = None
    lat_text, lon_text = cells.get("lat", ""), cells.get("lon", "")
    if lat_text and lon_text:
        values["lat"], values["lon"], values["bad_point"] = _point(lat_text, lon_text)
    elif lat_text or lon_text:
        errors.append(RowError(number, "lat/lon", lazy_gettext("isi lat dan lon, atau kosongkan keduanya")))
    values["dpt"] = _dpt(cells, cell, number, errors)
    kind = cells.get("jenis", "").strip().lower()
    if kind not in KINDS:
        errors.append(RowError(number, "jenis", lazy_gettext("isi 'reguler' atau 'khusus'")))
    values["kind"] = KINDS.get(kind, TpsKind.REGULAR)
    values["special_location"] = cells.get("lokasi_khusus", "").strip() or None
    if values["kind"] == TpsKind.SPECIAL and not values["special_location"]:
        errors.append(RowError(number, "lokasi_khusus", lazy_gettext("wajib untuk TPS lokasi khusus")))
    return values, kel


def _point(lat_text: str, lon_text: str) -> tuple[float | None, float | None, object | None]:
    """(lat, lon, None), or (lat, lon, what is wrong with them): swapped, outside Indonesia (lost digits), 0/0."""
    lat, lon = _coordinate(lat_text), _coordinate(lon_text)
    if lat is None or lon is None:
        return None, None, lazy_gettext("koordinat bukan angka: {lat}, {lon}", lat=repr(lat_text), lon=repr(lon_text))
    if -11.5 <= lon <= 6.5 and 94.5 <= lat <= 141.5:
        return lat, lon, lazy_gettext("lat dan lon tertukar?")
    if lat == 0 and lon == 0:
        return lat, lon, lazy_gettext("koordinat 0,0 (kosong?)")
    if not (-11.5 <= lat <= 6.5 and 94.5 <= lon <= 141.5):  # Indonesia, south to north, west to east
        return lat, lon, lazy_gettext("di luar Indonesia: {lat}, {lon} (angka hilang?)", lat=lat_text, lon=lon_text)
    return lat, lon, None


def _coordinate(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _dpt(cells: dict, cell, number: int, errors: list[RowError]) -> int | None:
    if cells.get("dpt"):
        return cell("dpt", lambda v: f.integer(v, 0, MAX_DPT))
    if cells.get("dpt_l") or cells.get("dpt_p"):
        men = cell("dpt_l", lambda v: f.integer(v, 0, MAX_DPT))
        women = cell("dpt_p", lambda v: f.integer(v, 0, MAX_DPT))
        total = None if men is None or women is None else men + women
        if total is not None and total > MAX_DPT:
            errors.append(RowError(number, "dpt", lazy_gettext("harus antara {low} dan {high}", low=0, high=MAX_DPT)))
        return total
    return None


def _check_place(shapes: Shapes, kel: Kelurahan, values: dict, number: int, report: ImportReport):
    """What is wrong with a point far outside its kab/kota or its kelurahan (None if nothing); a point just
    outside its kelurahan (simplified or drawn boundaries) is a warning. Areas without an outline are not
    measured here (`_stray_points`)."""
    lat, lon = values["lat"], values["lon"]
    kota = kel.kecamatan.kota
    if kota.boundary is not None:
        outside_kota = shapes.of(kota).metres_outside(lat, lon)
        if outside_kota > NEAR_OUTSIDE_M:
            return lazy_gettext("di luar wilayah {area}: {metres} m dari batasnya (angka hilang? lat/lon tertukar?)",
                                area=kota.nama, metres=f"{outside_kota:,.0f}")
    if kel.boundary is None:
        return None
    outside = shapes.of(kel).metres_outside(lat, lon)
    if outside > NEAR_OUTSIDE_M:
        return lazy_gettext("{metres} m di luar Kel. {kelurahan}", metres=f"{outside:,.0f}", kelurahan=kel.nama)
    if outside > FAR_OUTSIDE_M:
        report.warnings.append(RowError(number, "lat/lon", lazy_gettext(
            "{metres} m di luar Kel. {kelurahan} (batas digambar atau disederhanakan?)",
            metres=f"{outside:,.0f}", kelurahan=kel.nama)))
    return None


def _notes(report: ImportReport, columns: list[str], parsed: list, by_name: int) -> None:
    approximate = sum(1 for _, _, v in parsed if v["lat"] is None and v.get("approximate"))
    no_dpt = sum(1 for _, _, v in parsed if v["dpt"] is None)
    if by_name:
        report.notes.append(f"{by_name} baris dicocokkan dengan nama kelurahan (kode tidak ada atau tidak dikenal)")
    if approximate:
        report.notes.append(f"{approximate} TPS tanpa koordinat yang benar: ditaruh di titik tengah kelurahannya "
                            "(atau kecamatan/kab/kota-nya; posisi perkiraan) sampai diperbaiki")
    if no_dpt:
        report.notes.append(f"{no_dpt} baris tanpa DPT: TPS baru ditandai DPT belum ada, DPT yang tersimpan tetap")


def _apply(session: Session, actor: Actor, parsed: list, columns: set[str], report: ImportReport) -> None:
    """Create new TPS with defaults for what the file lacks; on stored TPS change only what the file gives."""
    existing = {(t.kelurahan_id, t.number): t for t in session.scalars(
        select(Tps).where(Tps.kelurahan_id.in_({kel.id for _, kel, _ in parsed})))}
    for number, kel, v in parsed:
        given: dict = {}
        if v["lat"] is not None:
            given.update(lat=v["lat"], lon=v["lon"], position_approximate=False, position_synthetic=False)
        if v["address"]:
            given["address"] = v["address"]
        if v["dpt"] is not None:
            given["dpt"] = v["dpt"]
        if "jenis" in columns:
            given["kind"] = v["kind"]
        if "lokasi_khusus" in columns or "jenis" in columns:
            given["special_location"] = v["special_location"]
        record = existing.get((kel.id, v["number"]))
        label = f"{kel.kode_kemendagri}-{v['number']:03d}"
        if record is None:
            lat, lon = v["approximate"] if v["lat"] is None else (v["lat"], v["lon"])
            given = dict(lat=lat, lon=lon, position_approximate=True, position_synthetic=False,
                         address=f"TPS {v['number']:03d}, Kel. {plain_name(kel.nama)}", dpt=None,
                         kind=v["kind"], special_location=v["special_location"]) | given

        def make(**values):
            return Tps(code=label, kelurahan_id=kel.id, number=v["number"], **values)

        upsert(session, actor, "tps.imported", record, make, given, report, row=number, label=label)
    if not report.dry_run:
        commit(session)
