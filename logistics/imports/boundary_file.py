"""Set up kab/kota from a desa/kelurahan boundary file (GeoJSON, GeoPackage or zipped Shapefile): one
kab/kota, several, or a whole province in one file.

Each feature is one kelurahan/desa with its Kemendagri code (with or without dots), or without a code its
name within its kecamatan within its kab/kota (`kab_kota`, `kabupaten`, `wadmkk`...), matched against the
national area list (logistics/area_list.py); desa or kelurahan from the code. Features are grouped by their
kab/kota code: each kab/kota, with its name and province from the list (a kab/kota the deployment has not
set up yet is created), gets its own kecamatan and outline. Any CRS is reprojected to WGS 84 (a file without one is taken as WGS 84, as RFC 7946
says; GDAL also honours a legacy GeoJSON `crs` member); invalid geometries are repaired (make_valid) and
only their polygons kept; outer rings are wound counter-clockwise (RFC 7946). Kecamatan and the kota are
the union of their kelurahan. Every feature is checked before anything is written; areas already stored
(same code) are updated in place.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon, mapping
from shapely.geometry.polygon import orient
from shapely.validation import make_valid
from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.imports.archive import without_paths
from logistics.area_list import ListedArea, area_list
from logistics.imports.places import METRES_PER_DEGREE, AreaTree, kelurahan_code, name_key, plain_name
from logistics.imports import fields as f
from logistics.imports.report import ImportReport, no_rows_error, open_sheet, orient_mapping, upsert
from logistics.imports.table import RowError, header_lookup, read_header, squash
from logistics.models import Kecamatan, Kelurahan, Kota
from logistics.permissions import Permission, may, require
from logistics.services.common import commit
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work

COLUMNS = {
    "kode_kelurahan": ("kode_kemendagri", "kode_desa", "kode", "kd_kel", "id_desa", "kode_wilayah", "kode_kel",
                       "kdepum", "kode_desa_kelurahan"),
    "kelurahan": ("nama", "nama_kelurahan", "desa", "nama_desa", "namobj", "wadmkd", "kel", "nama_desa_kelurahan"),
    "kecamatan": ("nama_kecamatan", "wadmkc", "kec"),
    "kode_bps": ("kode_bps_kelurahan", "kdbps", "bps"),
    "jenis": ("jenis_kelurahan", "tipe", "type"),
    "kota": ("kabupaten", "kota_kabupaten", "kabupaten_kota", "nama_kota", "wadmkk", "kab_kota", "nama_kab_kota",
             "nama_kabupaten"),
    "provinsi": ("nama_provinsi", "propinsi", "wadmpr"),
}
REQUIRED = ("kelurahan", "kecamatan")  # and a code, or a name the area list knows within its kab/kota
CODE_COLUMNS = {**COLUMNS, "lat": ("latitude", "lintang"), "lon": ("longitude", "lng", "long", "bujur")}
INDONESIA = (94.5, -11.5, 141.5, 6.5)  # lon/lat box: a layer outside it was read in the wrong CRS
DECIMALS = 6  # ~0.1 m
SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp")
SHEETS = (".csv", ".xlsx", ".txt")  # no boundaries: codes, names and a point per kelurahan


@in_unit_of_work
def import_boundaries(session: Session, actor: Actor, path: Path, *, kota_nama: str = "", provinsi: str = "",
                      jenis: str = "", mapping: dict[str, str] | None = None, dry_run: bool = False) -> ImportReport:
    """Boundaries from a GIS file; a CSV/XLSX sheet of codes, names and points goes to `import_codes`."""
    if Path(path).suffix.lower() in SHEETS:
        return import_codes(session, actor, path, kota_nama=kota_nama, provinsi=provinsi, jenis=jenis,
                            mapping=mapping, dry_run=dry_run)
    require(may(actor, Permission.AREA_SETUP), lazy_gettext("Hanya admin yang dapat menyiapkan wilayah"))
    report = ImportReport(dry_run=dry_run)
    frame = _read(Path(path), report)
    if frame is None:
        return report
    lookup = header_lookup(COLUMNS, orient_mapping(mapping or {}, COLUMNS))
    columns = {}
    for header in frame.columns:
        canon = lookup.get(squash(header))
        if canon and canon not in columns and header != frame.geometry.name:
            columns[canon] = header
    missing = [c for c in REQUIRED if c not in columns]
    report.errors += [RowError(1, c, lazy_gettext("kolom tidak ada di berkas batas wilayah")) for c in missing]
    if missing:
        return report

    records = [(i, {c: _text(row[h]) for c, h in columns.items()}, row.geometry)
               for i, (_, row) in enumerate(frame.iterrows(), start=1)]
    return _set_up(session, actor, report, _kelurahan(records, report), kota_nama, provinsi, jenis)


@in_unit_of_work
def import_codes(session: Session, actor: Actor, path: Path, *, kota_nama: str = "", provinsi: str = "",
                 jenis: str = "", mapping: dict[str, str] | None = None, dry_run: bool = False) -> ImportReport:
    """Set up an area that has no boundary file, from a sheet of kelurahan codes and names with one point
    each (`lat`/`lon`, e.g. the kantor lurah): each kelurahan gets the Voronoi cell of its point, clipped to
    1 km around all the points. Those are drawn areas, not official boundaries (the report says so): they
    let the map, the TPS checks and the coverage work until a real boundary file replaces them (re-import
    the boundary file: same codes, updated in place)."""
    require(may(actor, Permission.AREA_SETUP), lazy_gettext("Hanya admin yang dapat menyiapkan wilayah"))
    report = ImportReport(dry_run=dry_run)
    sheet = open_sheet(path, CODE_COLUMNS, (*REQUIRED, "lat", "lon"), report, mapping=mapping)
    if sheet is None:
        return report
    _columns, rows = sheet
    points = {}
    for number, cells in rows:
        try:
            points[number] = Point(f.decimal(cells.get("lon", ""), INDONESIA[0], INDONESIA[2]),
                                   f.decimal(cells.get("lat", ""), INDONESIA[1], INDONESIA[3]))
        except f.CellError as exc:
            report.errors.append(RowError(number, "lat/lon", lazy_gettext("titik kelurahan: {error}", error=str(exc))))
    if not rows:
        no_rows_error(report)
    if report.errors:
        return report
    cells_by_row = _voronoi(points)
    report.notes.append("batas kelurahan digambar dari titiknya (Voronoi), bukan batas resmi: ganti dengan "
                        "berkas batas bila ada")
    kelurahan = _kelurahan([(n, cells, cells_by_row[n]) for n, cells in rows], report,
                           labels={n: (p.y, p.x) for n, p in points.items()})
    return _set_up(session, actor, report, kelurahan, kota_nama, provinsi, jenis)


def _voronoi(points: dict[int, Point]) -> dict[int, Polygon]:
    """{row: the Voronoi cell of its point}, clipped to 1 km (~0.009 degree) around all the points."""
    everything = MultiPoint(list(points.values()))
    area = everything.convex_hull.buffer(0.009)
    if len(points) == 1:
        return {n: area for n in points}
    cells = list(shapely.voronoi_polygons(everything, extend_to=area).geoms)
    return {n: next(c for c in cells if c.intersects(p)).intersection(area) for n, p in points.items()}


def _set_up(session: Session, actor: Actor, report: ImportReport, kelurahan: list[dict], kota_nama: str,
            provinsi: str, jenis: str) -> ImportReport:
    """Each kab/kota of the checked kelurahan (by code: a file may hold several, or a whole province) with
    its kecamatan, then all of them written (or weighed). Names and provinces come from the area list;
    `kota_nama`, `provinsi` and `jenis` (or the file's columns) only for a kab/kota the list lacks."""
    if not kelurahan:
        if not report.errors:
            report.errors.append(RowError(1, "-", lazy_gettext("tidak ada fitur")))
        return report
    listed = area_list()
    by_kota: dict[str, list[dict]] = defaultdict(list)
    for k in kelurahan:
        by_kota[k["kode"][:5]].append(k)
    kotas = []
    for code, members in sorted(by_kota.items()):
        in_list, province = listed.get(code), listed.get(code[:2])
        first = members[0]
        name = in_list.nama if in_list else _tidy(plain_name(kota_nama or first["kota"]) or "")
        province_name = province.nama if province else _tidy(plain_name(provinsi or first["provinsi"]) or "")
        if not name:
            report.errors.append(RowError(1, "kota", lazy_gettext("isi nama kota/kabupaten (tidak ada di berkas)")))
        if not province_name:
            report.errors.append(RowError(1, "provinsi", lazy_gettext("isi nama provinsi (tidak ada di berkas)")))
        if in_list:
            kind = in_list.jenis
        else:
            kind = jenis or ("kabupaten" if name.lower().startswith("kab") else "kota")
            if name and not name.lower().startswith(("kota", "kab")):
                name = f"{'Kabupaten' if kind == 'kabupaten' else 'Kota'} {name}"
        kotas.append((members, dict(kode=code, nama=name, jenis=kind, provinsi=province_name)))
    if report.errors:
        return report
    if len(kotas) > 1:
        report.notes.append("kab/kota dalam berkas: " + ", ".join(f"{v['nama']} ({v['kode']}, {len(m)} desa/kelurahan)"
                                                                 for m, v in kotas))
    for members, values in kotas:
        _write(session, actor, report, members, values)
    report.rows = len(kelurahan)
    if not report.dry_run:
        commit(session)
    return report


def headers(path: Path) -> list[str]:
    """The attribute names of the file's layer (for a column picker), without reading its geometries."""
    import pyogrio

    if Path(path).suffix.lower() in SHEETS:
        return read_header(Path(path))
    return [str(name) for name in pyogrio.read_info(path)["fields"]]


def _read(path: Path, report: ImportReport):
    """The file as a GeoDataFrame in WGS 84, or None with the error added."""
    import geopandas
    from pyogrio.errors import DataSourceError

    if path.suffix.lower() not in SUFFIXES:
        report.errors.append(RowError(1, "-", lazy_gettext("format {suffix} tidak didukung: pakai GeoJSON, GeoPackage, Shapefile dalam .zip, "
                                                              "atau CSV/XLSX kode + titik", suffix=path.suffix or "(none)")))
        return None
    try:
        frame = geopandas.read_file(path)
    except (DataSourceError, OSError, ValueError, RuntimeError) as exc:
        report.errors.append(RowError(1, "-", lazy_gettext("berkas batas wilayah tidak bisa dibaca: {error}",
                                                           error=without_paths(str(exc))[:200])))
        return None
    if frame.empty:
        report.errors.append(RowError(1, "-", lazy_gettext("tidak ada fitur")))
        return None
    if frame.crs is None:
        report.notes.append("berkas tanpa CRS: dianggap WGS 84 (EPSG:4326)")
    elif frame.crs.to_epsg() != 4326:
        report.notes.append(f"diproyeksikan dari {frame.crs.to_string()} ke WGS 84")
        try:
            frame = frame.to_crs(4326)
        except Exception as exc:  # pyproj raises its own kinds for an unusable CRS
            report.errors.append(RowError(1, "-", lazy_gettext("CRS tidak bisa diproyeksikan: {error}",
                                                               error=without_paths(str(exc))[:200])))
            return None
    return frame


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def _kelurahan(records: list[tuple[int, dict, object]], report: ImportReport,
               labels: dict[int, tuple[float, float]] | None = None) -> list[dict]:
    """One dict per good (number, {column: text}, geometry); errors by feature or row number."""
    found, seen = [], {}
    for i, values, raw_geometry in records:
        def text(column: str) -> str:
            return values.get(column, "")

        errors_before = len(report.errors)
        raw = text("kode_kelurahan")
        code = kelurahan_code(raw) if raw else None
        if code is None:
            code, miss = _code_by_name(values)
            if code is None and raw:
                report.errors.append(RowError(i, "kode_kelurahan", lazy_gettext("kode Kemendagri tidak valid: {value} (contoh 19.71.01.1004 atau 1971011004)",
                                                           value=repr(raw))))
            elif code is None:
                report.errors.append(RowError(i, miss.column, miss.message))
        if code is not None and code in seen:
            report.errors.append(RowError(i, "kode_kelurahan", lazy_gettext("kode yang sama sudah ada di fitur {row}",
                                                                            row=seen[code])))
        for column in ("kelurahan", "kecamatan"):
            if not plain_name(text(column)):
                report.errors.append(RowError(i, column, lazy_gettext("wajib diisi")))
        geometry = _polygons(raw_geometry)
        if geometry is None:
            report.errors.append(RowError(i, "geometry", lazy_gettext("tidak ada poligon")))
        else:
            west, south, east, north = geometry.bounds
            if west < INDONESIA[0] or south < INDONESIA[1] or east > INDONESIA[2] or north > INDONESIA[3]:
                report.errors.append(RowError(i, "geometry", lazy_gettext("di luar Indonesia: CRS berkas salah?")))
        if len(report.errors) == errors_before:
            seen[code] = i
            jenis = text("jenis").lower()
            found.append(dict(kode=code, nama=_tidy(plain_name(text("kelurahan"))),
                              kecamatan=_tidy(plain_name(text("kecamatan"))), kode_bps=text("kode_bps") or None,
                              jenis=jenis if jenis in ("desa", "kelurahan") else ListedArea(code, "").jenis,
                              geometry=geometry,
                              kota=text("kota"), provinsi=text("provinsi"), label=(labels or {}).get(i)))
    return found


def _code_by_name(values: dict):
    """(the area list's code for a feature without one, None) or (None, why not): its name within its
    kecamatan within its kab/kota (within its province when the file names one)."""
    tree = _listed_tree(name_key(values.get("provinsi", "")))
    return tree.locate(None, values.get("kelurahan", ""), values.get("kecamatan", ""), "", values.get("kota", ""), "")


def _listed_tree(province_key: str) -> AreaTree:
    """The national list's kab/kota, kecamatan and villages as an AreaTree (of one province when it is named
    and known), made once per province per process."""
    if province_key not in _TREES:
        listed = area_list()
        provinces = [p for p in listed.provinces() if name_key(p.nama) == province_key] or listed.provinces()
        tree = AreaTree()
        for province in provinces:
            for kab in listed.children(province.kode):
                tree.add(kab.kode, kab.nama, kab.kode, jenis=kab.jenis)
                for kec in listed.children(kab.kode):
                    tree.add(kec.kode, kec.nama, kec.kode)
                    for village in listed.children(kec.kode):
                        tree.add(village.kode, village.nama, village.kode, jenis=village.jenis)
        _TREES[province_key] = tree
    return _TREES[province_key]


_TREES: dict[str, AreaTree] = {}


def _polygons(geometry) -> Polygon | MultiPolygon | None:
    """The polygonal part of a (repaired) geometry, rounded, with RFC 7946 winding; None if there is none."""
    if geometry is None or geometry.is_empty:
        return None
    if not geometry.is_valid:
        geometry = make_valid(geometry)
    parts = [q for p in shapely.get_parts(geometry) if isinstance(p, (Polygon, MultiPolygon))
             for q in (p.geoms if isinstance(p, MultiPolygon) else [p]) if not q.is_empty]
    if not parts:
        return None
    rounded = [orient(shapely.transform(p, lambda xy: np.round(xy, DECIMALS)), sign=1.0) for p in parts]
    return rounded[0] if len(rounded) == 1 else MultiPolygon(rounded)


def _union(geometries) -> Polygon | MultiPolygon:
    """Kelurahan polygons simplified one by one leave sliver gaps between neighbours: their union is filled
    where a hole is smaller than a hectare, so a kecamatan has no specks of holes inside."""
    union = _polygons(make_valid(shapely.union_all(geometries)))
    filled = [Polygon(p.exterior, [ring for ring in p.interiors if _hectares(Polygon(ring)) >= 1])
              for p in getattr(union, "geoms", [union])]
    return filled[0] if len(filled) == 1 else MultiPolygon(filled)


def _hectares(polygon: Polygon) -> float:
    scale = math.cos(math.radians(polygon.centroid.y)) * METRES_PER_DEGREE ** 2
    return polygon.area * scale / 10_000


def _tidy(name: str) -> str:
    """KPU and BPS write names in capitals: 'BUKIT INTAN' is shown as 'Bukit Intan'."""
    return name.title() if name.isupper() else name


def _area_fields(geometry, label: tuple[float, float] | None = None) -> dict:
    lat, lon = label or (geometry.representative_point().y, geometry.representative_point().x)
    west, south, east, north = geometry.bounds
    return dict(boundary=json.loads(json.dumps(mapping(geometry))), min_lon=west, min_lat=south, max_lon=east,
                max_lat=north, label_lat=round(lat, DECIMALS), label_lon=round(lon, DECIMALS))


def _write(session: Session, actor: Actor, report: ImportReport, kelurahan: list[dict], kota_values: dict) -> None:
    by_kecamatan: dict[str, list[dict]] = defaultdict(list)
    for k in kelurahan:
        by_kecamatan[k["kode"][:8]].append(k)
    for code, members in by_kecamatan.items():
        if len({m["kecamatan"] for m in members}) > 1:
            report.warnings.append(RowError(1, "kecamatan", lazy_gettext("kecamatan {code} punya beberapa nama: {names}", code=code,
                                                                         names=", ".join(sorted({m['kecamatan'] for m in members})))))
    stored = {(type(a).__name__, a.kode_kemendagri): a for model in (Kota, Kecamatan, Kelurahan)
              for a in session.scalars(select(model).where(model.kode_kemendagri.like(kota_values["kode"] + "%")))}

    kota = upsert(session, actor, "kota.imported", stored.get(("Kota", kota_values["kode"])),
                  lambda **v: Kota(kode_kemendagri=kota_values["kode"], **v),
                  dict(nama=kota_values["nama"], jenis=kota_values["jenis"], provinsi=kota_values["provinsi"],
                       **_area_fields(_union([k["geometry"] for k in kelurahan]))),
                  report, label=kota_values["kode"])
    for code, members in sorted(by_kecamatan.items()):
        kecamatan = upsert(session, actor, "kecamatan.imported", stored.get(("Kecamatan", code)),
                           lambda code=code, **v: Kecamatan(kode_kemendagri=code, kota_id=kota.id, **v),
                           dict(nama=members[0]["kecamatan"], **_area_fields(_union([m["geometry"] for m in members]))),
                           report, label=code)
        report.per_group[members[0]["kecamatan"]] += len(members)
        for i, k in enumerate(members):
            fields = _area_fields(k["geometry"], k["label"])
            report.points.append(dict(lat=fields["label_lat"], lon=fields["label_lon"], label=f"Kel. {k['nama']}",
                                      approximate=False, flagged=False))
            report.outlines.append(fields["boundary"])
            values = dict(nama=k["nama"], jenis=k["jenis"], **fields)
            if k["kode_bps"]:
                values["kode_bps"] = k["kode_bps"]
            upsert(session, actor, "kelurahan.imported", stored.get(("Kelurahan", k["kode"])),
                   lambda k=k, **v: Kelurahan(kode_kemendagri=k["kode"], kecamatan_id=kecamatan.id, **v),
                   values, report, label=k["kode"])
