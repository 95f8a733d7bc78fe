"""Import TPS from a KPU-style sheet: kode_kelurahan, no_tps, alamat, lat, lon, dpt (or dpt_l + dpt_p),
optional jenis (reguler | khusus) and lokasi_khusus. Existing TPS (same kelurahan and number) are updated."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from shapely.geometry import Point, shape
from shapely.prepared import prep
from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.imports import fields as f
from logistics.imports.report import ImportReport, no_rows_error, open_sheet, upsert
from logistics.imports.table import RowError
from logistics.models import Kelurahan, Role, Tps, TpsKind
from logistics.permissions import Permission, may, require
from logistics.services.common import commit

COLUMNS = {
    "kode_kelurahan": ("kode_wilayah", "kode_desa", "kd_kel", "kelurahan_kode", "kode_kel"),
    "no_tps": ("tps", "nomor_tps", "no"),
    "alamat": ("address", "alamat_tps", "lokasi"),
    "lat": ("latitude", "lintang"),
    "lon": ("longitude", "lng", "long", "bujur"),
    "dpt": ("jumlah_dpt", "dpt_total", "total_dpt"),
    "dpt_l": ("dpt_laki_laki", "laki_laki"),
    "dpt_p": ("dpt_perempuan", "perempuan"),
    "jenis": ("jenis_tps", "kind"),
    "lokasi_khusus": ("special_location", "nama_lokasi_khusus"),
}
REQUIRED = ("kode_kelurahan", "no_tps", "alamat", "lat", "lon")
MAX_DPT = 1000
# Kelurahan polygons are simplified: accept a point up to ~200 m outside its own.
BORDER_TOLERANCE_DEG = 0.002
KINDS = {"": TpsKind.REGULAR, "reguler": TpsKind.REGULAR, "regular": TpsKind.REGULAR, "khusus": TpsKind.SPECIAL,
         "lokasi khusus": TpsKind.SPECIAL, "special": TpsKind.SPECIAL}


def import_tps(session: Session, actor: Actor, path: Path,
               progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row; write nothing unless all rows are right."""
    require(may(actor, Permission.IMPORT_TPS), "Hanya admin dan koordinator yang dapat mengimpor TPS")
    report = ImportReport()
    sheet = open_sheet(path, COLUMNS, REQUIRED, report, also_missing=_dpt_missing)
    if sheet is None:
        return report
    _columns, rows = sheet

    kelurahan = {k.kode_kemendagri: k for k in session.scalars(select(Kelurahan))}
    shapes: dict[int, object] = {}
    parsed: list[tuple[int, Kelurahan, dict]] = []
    seen: dict[tuple[int, int], int] = {}
    for number, cells in rows:
        report.rows += 1
        values, kel = _parse(cells, kelurahan, number, report.errors)
        if kel is not None and actor.role == Role.COORDINATOR and actor.kecamatan_id not in (None, kel.kecamatan_id):
            report.errors.append(RowError(number, "kode_kelurahan", "di luar kecamatan Anda"))
        elif kel is not None:
            if values["lat"] is not None and values["lon"] is not None:
                if kel.id not in shapes:
                    shapes[kel.id] = prep(shape(kel.boundary).buffer(BORDER_TOLERANCE_DEG))
                if not shapes[kel.id].contains(Point(values["lon"], values["lat"])):
                    report.errors.append(RowError(number, "lat/lon", f"posisi di luar Kel. {kel.nama}"))
            if values["number"] is not None:
                key = (kel.id, values["number"])
                if key in seen:
                    report.errors.append(RowError(number, "no_tps", f"TPS yang sama sudah ada di baris {seen[key]}"))
                seen[key] = number
            parsed.append((number, kel, values))
        if progress:
            progress(1)
    no_rows_error(report)
    if report.errors:
        return report
    _apply(session, actor, parsed, report)
    return report


def _dpt_missing(columns: list[str]) -> list[str]:
    """DPT comes as one total, or as men and women."""
    return [] if "dpt" in columns or {"dpt_l", "dpt_p"} <= set(columns) else ["dpt"]


def _parse(cells: dict, kelurahan: dict, number: int, errors: list[RowError]) -> tuple[dict, Kelurahan | None]:
    """The row's values (None where a cell is wrong, with its error added) and its kelurahan."""
    values: dict = {}
    kel = None

    def cell(column: str, parse):
        try:
            return parse(cells.get(column, ""))
        except f.CellError as exc:
            errors.append(RowError(number, column, str(exc)))
            return None

    code = cell("kode_kelurahan", f.kelurahan_code)
    if code is not None:
        kel = kelurahan.get(code)
        if kel is None:
            errors.append(RowError(number, "kode_kelurahan", f"kelurahan {code} tidak dikenal"))
    values["number"] = cell("no_tps", lambda v: f.integer(v, 1, 999))
    values["address"] = cell("alamat", lambda v: f.text(v, 240))
    values["lat"] = cell("lat", lambda v: f.decimal(v, -11.5, 6.5))  # Indonesia, south to north
    values["lon"] = cell("lon", lambda v: f.decimal(v, 94.5, 141.5))
    if cells.get("dpt"):
        values["dpt"] = cell("dpt", lambda v: f.integer(v, 0, MAX_DPT))
    else:
        men, women = cell("dpt_l", lambda v: f.integer(v, 0, MAX_DPT)), cell("dpt_p", lambda v: f.integer(v, 0, MAX_DPT))
        values["dpt"] = None if men is None or women is None else men + women
        if values["dpt"] is not None and values["dpt"] > MAX_DPT:
            errors.append(RowError(number, "dpt", f"harus antara 0 dan {MAX_DPT}"))
    kind = cells.get("jenis", "").strip().lower()
    if kind not in KINDS:
        errors.append(RowError(number, "jenis", "isi 'reguler' atau 'khusus'"))
    values["kind"] = KINDS.get(kind, TpsKind.REGULAR)
    values["special_location"] = cells.get("lokasi_khusus", "").strip() or None
    if values["kind"] == TpsKind.SPECIAL and not values["special_location"]:
        errors.append(RowError(number, "lokasi_khusus", "wajib untuk TPS lokasi khusus"))
    return values, kel


def _apply(session: Session, actor: Actor, parsed: list, report: ImportReport) -> None:
    existing = {(t.kelurahan_id, t.number): t for t in session.scalars(
        select(Tps).where(Tps.kelurahan_id.in_({kel.id for _, kel, _ in parsed})))}
    for _number, kel, v in parsed:
        values = dict(address=v["address"], lat=v["lat"], lon=v["lon"], dpt=v["dpt"], kind=v["kind"],
                      special_location=v["special_location"], position_synthetic=False)
        make = partial(Tps, code=f"{kel.kode_kemendagri}-{v['number']:03d}", kelurahan_id=kel.id, number=v["number"])
        upsert(session, actor, "tps.imported", existing.get((kel.id, v["number"])), make, values, report)
    commit(session)
