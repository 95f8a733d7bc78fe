"""Import TPS from the lists KPU, SIREKAP, KawalPemilu and Kemendagri really publish.

Columns are recognised under their usual spellings (`idDesa`, `kode_desa`, `desa`, `noTps`, `latitude`,
`jumlah_dpt`...) or named by the user (`mapping`: {file header: our column}). A row's kelurahan is found by
its Kemendagri code, else by name within its kecamatan. Only a TPS number and a kelurahan are required:
a row without coordinates is placed at its kelurahan's label point and marked approximate, a row without
DPT is kept with DPT unknown. A re-import updates in place (same kelurahan and number), changing only
what the file says, and reports each change. Every row is checked before anything is written.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from logistics.actor import Actor
from logistics.imports import fields as f
from logistics.imports.places import KelurahanFinder, Shapes, kelurahan_code, plain_name
from logistics.imports.report import ImportReport, no_rows_error, open_sheet, upsert
from logistics.imports.table import RowError
from logistics.models import Kecamatan, Kelurahan, Role, Tps, TpsKind
from logistics.permissions import Permission, may, require
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
    "alamat": ("address", "alamat_tps", "lokasi", "lokasi_tps"),
    "lat": ("latitude", "lintang"),
    "lon": ("longitude", "lng", "long", "bujur"),
    "dpt": ("jumlah_dpt", "dpt_total", "total_dpt", "jml_dpt", "dpt_jumlah", "total_pemilih"),
    "dpt_l": ("dpt_laki_laki", "laki_laki", "dpt_lk", "jml_dpt_l"),
    "dpt_p": ("dpt_perempuan", "perempuan", "dpt_pr", "jml_dpt_p"),
    "jenis": ("jenis_tps", "kind"),
    "lokasi_khusus": ("special_location", "nama_lokasi_khusus"),
}
REQUIRED = ("no_tps",)
MAX_DPT = 1000
# Kelurahan polygons are simplified and neighbours overlap or leave gaps: a point up to this far outside
# its own kelurahan is taken as in it; further is an error (a typo, lost digits, the wrong kelurahan).
FAR_OUTSIDE_M = 250
SAME_POINT_DECIMALS = 5  # ~1 m
TPS_NUMBER = re.compile(r"^(?:\d+\s*-\s*)?(?:tps\s*)?0*(\d{1,4})$", re.IGNORECASE)  # 1658390001-TPS 001
KINDS = {"": TpsKind.REGULAR, "reguler": TpsKind.REGULAR, "regular": TpsKind.REGULAR, "biasa": TpsKind.REGULAR,
         "khusus": TpsKind.SPECIAL, "lokasi khusus": TpsKind.SPECIAL, "special": TpsKind.SPECIAL}


@in_unit_of_work
def import_tps(session: Session, actor: Actor, path: Path, progress: Callable[[int], None] | None = None,
               *, mapping: dict[str, str] | None = None, dry_run: bool = False) -> ImportReport:
    """Check every row; write nothing unless all rows are right (and nothing at all in a dry run)."""
    require(may(actor, Permission.IMPORT_TPS), lazy_gettext("Hanya admin dan koordinator yang dapat mengimpor TPS"))
    report = ImportReport(dry_run=dry_run)
    sheet = open_sheet(path, COLUMNS, REQUIRED, report, also_missing=_place_missing, mapping=mapping)
    if sheet is None:
        return report
    columns, rows = sheet
    finder = KelurahanFinder(session.scalars(select(Kelurahan).options(
        selectinload(Kelurahan.kecamatan).selectinload(Kecamatan.kota))).all())
    shapes = Shapes()
    parsed: list[tuple[int, Kelurahan, dict]] = []
    seen: dict[tuple[int, int], int] = {}
    points: dict[tuple[float, float], int] = {}
    by_name = 0
    for number, cells in rows:
        report.rows += 1
        errors_before = len(report.errors)
        values, kel = _parse(cells, finder, number, report.errors)
        if kel is not None and values.pop("matched_by_name"):
            by_name += 1
        if kel is not None and actor.role == Role.COORDINATOR and actor.kecamatan_id not in (None, kel.kecamatan_id):
            report.errors.append(RowError(number, "kode_kelurahan", lazy_gettext("di luar kecamatan Anda")))
        elif kel is not None:
            label = f"Kel. {kel.nama} TPS {values['number']:03d}" if values["number"] else f"Kel. {kel.nama}"
            if values["lat"] is not None:
                _check_place(shapes, kel, values, number, report)
                key = (round(values["lat"], SAME_POINT_DECIMALS), round(values["lon"], SAME_POINT_DECIMALS))
                if key in points:
                    report.warnings.append(RowError(number, "lat/lon", lazy_gettext(
                        "titik yang sama dengan baris {row}", row=points[key])))
                points.setdefault(key, number)
            if values["number"] is not None:
                key = (kel.id, values["number"])
                if key in seen:
                    report.errors.append(RowError(number, "no_tps", lazy_gettext(
                        "TPS yang sama sudah ada di baris {row}", row=seen[key])))
                seen[key] = number
            report.per_group[kel.kecamatan.nama] += 1
            lat, lon = (values["lat"], values["lon"]) if values["lat"] is not None else (kel.label_lat, kel.label_lon)
            report.points.append(dict(lat=lat, lon=lon, label=label, approximate=values["lat"] is None,
                                      flagged=len(report.errors) > errors_before))
            parsed.append((number, kel, values))
        if progress:
            progress(1)
    no_rows_error(report)
    _notes(report, columns, parsed, by_name)
    if report.errors:
        return report
    _apply(session, actor, parsed, set(columns), report)
    return report


def _place_missing(columns: list[str]) -> list[str]:
    """A kelurahan is found by code or by name; coordinates come both or not at all; DPT as a total or
    as men and women (or not at all)."""
    missing = [] if {"kode_kelurahan", "kelurahan"} & set(columns) else ["kode_kelurahan"]
    if ("lat" in columns) != ("lon" in columns):
        missing.append("lon" if "lat" in columns else "lat")
    if ("dpt_l" in columns) != ("dpt_p" in columns) and "dpt" not in columns:
        missing.append("dpt_p" if "dpt_l" in columns else "dpt_l")
    return missing


def tps_number(value: str) -> int:
    """`7`, `007`, `TPS 007`, `1658390001-TPS 007` -> 7."""
    match = TPS_NUMBER.match(f.required(value).strip())
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
    code = kelurahan_code(raw_code) if raw_code else None
    if raw_code and code is None and not name:
        errors.append(RowError(number, "kode_kelurahan", lazy_gettext("kode Kemendagri tidak valid: {value} (contoh 19.71.01.1004 atau 1971011004)",
                                                                      value=repr(raw_code))))
        kel = None
    else:
        kel, why = finder.find(code, name, cells.get("kecamatan", ""), cells.get("kode_kecamatan", ""),
                               cells.get("kota", ""), cells.get("kode_kota", ""))
        if kel is None:
            errors.append(RowError(number, "kode_kelurahan" if code and not name else "kelurahan", why))
    values["matched_by_name"] = kel is not None and kel.kode_kemendagri != code
    values["number"] = cell("no_tps", tps_number)
    values["address"] = cell("alamat", lambda v: f.text(v, 240)) if cells.get("alamat") else None
    values["lat"] = values["lon"] = None
    lat_text, lon_text = cells.get("lat", ""), cells.get("lon", "")
    if lat_text and lon_text:
        lat, lon = _coordinate(lat_text), _coordinate(lon_text)
        if lat is not None and lon is not None and -11.5 <= lon <= 6.5 and 94.5 <= lat <= 141.5:
            errors.append(RowError(number, "lat/lon", lazy_gettext("lat dan lon tertukar?")))
        else:
            values["lat"] = cell("lat", lambda v: f.decimal(v, -11.5, 6.5))  # Indonesia, south to north
            values["lon"] = cell("lon", lambda v: f.decimal(v, 94.5, 141.5))
            if values["lat"] is None or values["lon"] is None:
                values["lat"] = values["lon"] = None
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


def _check_place(shapes: Shapes, kel: Kelurahan, values: dict, number: int, report: ImportReport) -> None:
    """A point outside the kota, or far outside its own kelurahan, is an error with the distance."""
    lat, lon = values["lat"], values["lon"]
    kota = kel.kecamatan.kota
    outside_kota = shapes.of(kota).metres_outside(lat, lon)
    if outside_kota > FAR_OUTSIDE_M:
        report.errors.append(RowError(number, "lat/lon", lazy_gettext("di luar wilayah {area}: {metres} m dari batasnya (angka hilang? lat/lon tertukar?)",
                                                                      area=kota.nama, metres=f"{outside_kota:,.0f}")))
        return
    outside = shapes.of(kel).metres_outside(lat, lon)
    if outside > FAR_OUTSIDE_M:
        report.errors.append(RowError(number, "lat/lon", lazy_gettext("{metres} m di luar Kel. {kelurahan}",
                                                                      metres=f"{outside:,.0f}", kelurahan=kel.nama)))


def _notes(report: ImportReport, columns: list[str], parsed: list, by_name: int) -> None:
    approximate = sum(1 for _, _, v in parsed if v["lat"] is None)
    no_dpt = sum(1 for _, _, v in parsed if v["dpt"] is None)
    if by_name:
        report.notes.append(f"{by_name} baris dicocokkan dengan nama kelurahan (kode tidak ada atau tidak dikenal)")
    if approximate:
        report.notes.append(f"{approximate} TPS tanpa koordinat: ditaruh di titik tengah kelurahannya "
                            "(posisi perkiraan) sampai diperbaiki")
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
            given = dict(lat=kel.label_lat, lon=kel.label_lon, position_approximate=True, position_synthetic=False,
                         address=f"TPS {v['number']:03d}, Kel. {plain_name(kel.nama)}", dpt=None,
                         kind=v["kind"], special_location=v["special_location"]) | given

        def make(**values):
            return Tps(code=label, kelurahan_id=kel.id, number=v["number"], **values)

        upsert(session, actor, "tps.imported", record, make, given, report, row=number, label=label)
    if not report.dry_run:
        commit(session)
