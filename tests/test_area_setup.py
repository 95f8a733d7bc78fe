"""Setting up a kota from the files it really has: boundaries in any CRS, TPS lists as KPU, SIREKAP and
KawalPemilu publish them, quality checks by row, dry runs, re-imports that change only what changed."""
from __future__ import annotations

import json
import zipfile
from datetime import time
from pathlib import Path

import geopandas
import pytest
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from logistics.errors import PermissionDenied
from logistics.imports.boundary_file import import_boundaries
from logistics.imports.sites_file import import_sites
from logistics.imports.tps_file import import_tps, tps_number
from logistics.imports import fields as f
from logistics.models import (AuditEntry, HealthFacility, Kelurahan, Kota, MedicStation, Person, PersonRole, Tps,
                              Vendor)

SETUP = Path(__file__).resolve().parents[1] / "examples" / "setup"
BOUNDARIES = SETUP / "pangkalpinang_kelurahan_utm48s.geojson"
KPU = SETUP / "tps_kpu_pangkalpinang.csv"
SIREKAP = SETUP / "tps_sirekap_pangkalpinang.csv"


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def other_kota_file(tmp_path: Path) -> Path:
    """The example boundary file (UTM 48S, legacy `crs` member, one clockwise ring) as a kota the demo
    database does not have yet: code 19.99."""
    data = json.loads(BOUNDARIES.read_text())
    for feature in data["features"]:
        props = feature["properties"]
        props["KODE_DESA"] = "1999" + props["KODE_DESA"][4:]
        props["KABUPATEN"] = "KOTA UJI COBA"
    path = tmp_path / "kota_uji.geojson"
    path.write_text(json.dumps(data))
    return path


def test_example_boundary_file_is_what_the_test_says():
    data = json.loads(BOUNDARIES.read_text())
    assert data["crs"]["properties"]["name"].endswith("32748")
    assert geopandas.read_file(BOUNDARIES).geometry[0].exterior.is_ccw is False  # the clockwise ring


def test_new_kota_from_a_boundary_file_in_another_crs(session, actor_for, tmp_path):
    admin = actor_for("admin")
    path = other_kota_file(tmp_path)
    before = count(session, Kelurahan), count(session, AuditEntry)
    dry = import_boundaries(session, admin, path, dry_run=True)
    assert dry.ok and dry.created == 1 + 7 + 42 and dry.rows == 42
    assert (count(session, Kelurahan), count(session, AuditEntry)) == before  # a dry run writes nothing

    report = import_boundaries(session, admin, path)
    assert report.ok, report.errors
    assert any("32748" in note for note in report.notes)
    kota = session.scalar(select(Kota).where(Kota.kode_kemendagri == "19.99"))
    assert kota.nama == "Kota Uji Coba" and kota.provinsi == "Kepulauan Bangka Belitung" and kota.jenis == "kota"
    assert len(kota.kecamatan) == 7 and sum(len(k.kelurahan) for k in kota.kecamatan) == 42
    semabung = session.scalar(select(Kelurahan).where(Kelurahan.kode_kemendagri == "19.99.01.1004"))
    assert semabung.nama == "Semabung Lama" and semabung.kecamatan.nama == "Bukit Intan"
    # Reprojected from UTM 48S back onto the demo's own WGS 84 polygon of the same kelurahan.
    demo = session.scalar(select(Kelurahan).where(Kelurahan.kode_kemendagri == "19.71.01.1004"))
    assert shape(demo.boundary).contains(Point(semabung.label_lon, semabung.label_lat))
    assert abs(semabung.min_lon - demo.min_lon) < 1e-5 and abs(semabung.max_lat - demo.max_lat) < 1e-5
    # The map's simplified outlines are stored with the import (logistics/services/boundary_shapes.py).
    for area in (kota, semabung):
        coarse, medium = shape(area.boundary_coarse), shape(area.boundary_medium)
        assert coarse.is_valid and medium.is_valid and abs(medium.area - shape(area.boundary).area) < 0.05 * medium.area
    # Every outer ring counter-clockwise on output (RFC 7946), the clockwise one included.
    for area in [kota, *kota.kecamatan, *(k for kec in kota.kecamatan for k in kec.kelurahan)]:
        geometry = shape(area.boundary)
        for polygon in getattr(geometry, "geoms", [geometry]):
            assert polygon.exterior.is_ccw, area.nama
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "kelurahan.imported")) >= 42
    # The union of simplified kelurahan leaves sliver gaps: filled, so a kecamatan has no specks of holes.
    for kec in kota.kecamatan:
        geometry = shape(kec.boundary)
        assert all(not p.interiors for p in getattr(geometry, "geoms", [geometry])), kec.nama

    again = import_boundaries(session, admin, path)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 50)


def test_invalid_geometry_multipolygon_zipped_shapefile_and_codes_with_dots(session, actor_for, tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[106.0, -2.0], [106.02, -2.02], [106.02, -2.0], [106.0, -2.02],
                                                  [106.0, -2.0]]]}
    islands = {"type": "MultiPolygon", "coordinates": [
        [[[106.1, -2.1], [106.1, -2.11], [106.11, -2.11], [106.1, -2.1]]],
        [[[106.2, -2.1], [106.2, -2.11], [106.21, -2.11], [106.2, -2.1]]]]}
    frame = geopandas.GeoDataFrame(
        {"kode_desa": ["19.98.01.2001", "1998012002"], "desa": ["SUKA MAJU", "PULAU DUA"],
         "kecamatan": ["Pesisir", "Pesisir"], "kabupaten": ["Kabupaten Uji", "Kabupaten Uji"],
         "provinsi": ["Kepulauan Bangka Belitung"] * 2},
        geometry=[shape(bowtie), shape(islands)], crs=4326)
    shp = tmp_path / "shp"
    shp.mkdir()
    frame.to_file(shp / "desa.shp")
    archive = tmp_path / "desa.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in shp.iterdir():
            z.write(part, part.name)
    report = import_boundaries(session, actor_for("admin"), archive)
    assert report.ok, report.errors
    kota = session.scalar(select(Kota).where(Kota.kode_kemendagri == "19.98"))
    assert kota.jenis == "kabupaten" and kota.nama == "Kabupaten Uji"
    suka_maju = session.scalar(select(Kelurahan).where(Kelurahan.kode_kemendagri == "19.98.01.2001"))
    assert suka_maju.boundary["type"] == "MultiPolygon" and shape(suka_maju.boundary).is_valid  # repaired
    assert suka_maju.nama == "Suka Maju"
    pulau = session.scalar(select(Kelurahan).where(Kelurahan.kode_kemendagri == "19.98.01.2002"))
    assert pulau.boundary["type"] == "MultiPolygon" and len(pulau.boundary["coordinates"]) == 2


@pytest.mark.parametrize("text, column", [
    ('{"type": "FeatureCollection", "features": []}', "-"),
    ("not json at all", "-"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kode": "19.97.01.1001", '
     '"nama": "A", "kecamatan": "B", "kota": "Kota C", "provinsi": "D"}, "geometry": {"type": "Polygon", '
     '"coordinates": [[[700000, 9760000], [700100, 9760000], [700100, 9760100], [700000, 9760000]]]}}]}', "geometry"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kode": "19.97", '
     '"nama": "A", "kecamatan": "B"}, "geometry": {"type": "Point", "coordinates": [106, -2]}}]}', "kode_kelurahan"),
])
def test_bad_boundary_files_are_refused_with_a_message(session, actor_for, tmp_path, text, column):
    path = tmp_path / "batas.geojson"
    path.write_text(text)
    before = count(session, Kota)
    report = import_boundaries(session, actor_for("admin"), path)
    assert not report.ok and column in {e.column for e in report.errors}
    assert count(session, Kota) == before


def test_only_an_admin_sets_up_an_area(session, actor_for, tmp_path):
    with pytest.raises(PermissionDenied):
        import_boundaries(session, actor_for("koordinator"), other_kota_file(tmp_path))


@pytest.mark.parametrize("value, number", [("7", 7), ("007", 7), ("TPS 007", 7), ("tps007", 7),
                                           ("1658390001-TPS 001", 1), ("1971011004-012", 12)])
def test_tps_numbers_as_exports_write_them(value, number):
    assert tps_number(value) == number


@pytest.mark.parametrize("value", ["", "TPS", "TPS 0", "abc", "TPS 1000"])
def test_bad_tps_numbers(value):
    with pytest.raises(f.CellError):
        tps_number(value)


def test_kpu_list_without_coordinates_or_dpt_matches_the_stored_tps(session, actor_for):
    """The real KPU export's columns: nothing to change for TPS the demo already has."""
    report = import_tps(session, actor_for("admin"), KPU, dry_run=True)
    assert report.ok, report.errors[:5]
    assert report.rows == 315 and (report.created, report.updated, report.unchanged) == (0, 0, 315)
    assert report.per_group["Bukit Intan"] > 0 and sum(report.per_group.values()) == 315


def test_kpu_list_by_name_only_places_new_tps_at_the_kelurahan_label_point(session, actor_for, tmp_path):
    path = tmp_path / "kpu.csv"
    path.write_text("idProvinsi,provinsi,idKabupaten,kabupaten,idKecamatan,kecamatan,desa,noTps\n"
                    "19,KEP. BANGKA BELITUNG,1971,KOTA PANGKAL PINANG,197101,BUKITINTAN,SEMABUNGLAMA,41\n"
                    "19,KEP. BANGKA BELITUNG,1971,KOTA PANGKAL PINANG,197105,GERUNGGANG,BUKIT MERAPIN,42\n",
                    encoding="utf-8")
    before = count(session, Tps)
    report = import_tps(session, actor_for("admin"), path)
    assert report.ok, report.errors
    assert report.created == 2 and count(session, Tps) == before + 2
    assert any("tanpa koordinat" in n for n in report.notes) and any("tanpa DPT" in n for n in report.notes)
    tps = session.scalar(select(Tps).where(Tps.code == "19.71.01.1004-041"))
    kel = tps.kelurahan
    assert (tps.lat, tps.lon) == (kel.label_lat, kel.label_lon) and tps.position_approximate and tps.dpt is None
    merapen = session.scalar(select(Tps).where(Tps.code == "19.71.05.1002-042"))  # BPS spelling "Merapin"
    assert merapen is not None and merapen.kelurahan.nama == "Bukit Merapen"


def test_a_name_in_two_kecamatan_needs_its_kecamatan(session, actor_for, tmp_path):
    import_boundaries(session, actor_for("admin"), other_kota_file(tmp_path))
    path = tmp_path / "ambiguous.csv"
    path.write_text("desa,noTps\nBacang,50\n", encoding="utf-8")
    report = import_tps(session, actor_for("admin"), path)
    assert [(e.row, e.column) for e in report.errors] == [(2, "kelurahan")]
    assert "beberapa kecamatan" in report.errors[0].message
    path.write_text("kabupaten,kecamatan,desa,noTps\nKOTA UJI COBA,BUKIT INTAN,BACANG,50\n", encoding="utf-8")
    assert import_tps(session, actor_for("admin"), path, dry_run=True).ok


def test_sirekap_list_with_lost_digits_and_a_shared_point_writes_nothing(session, actor_for):
    before = count(session, Tps), count(session, AuditEntry)
    report = import_tps(session, actor_for("admin"), SIREKAP)
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(5, "lat/lon")]
    assert "m di luar Kel. Bacang" in report.errors[0].message
    metres = int(report.errors[0].message.split(" m ")[0].replace(",", ""))
    assert 2_000 < metres < 6_000
    assert [(w.row, w.column) for w in report.warnings] == [(7, "lat/lon")]
    assert "baris 6" in report.warnings[0].message
    assert (count(session, Tps), count(session, AuditEntry)) == before
    assert sum(1 for p in report.points if p["flagged"]) == 1


def test_point_outside_the_kota(session, actor_for, tmp_path):
    path = tmp_path / "tps.csv"
    path.write_text("kode_desa,no_tps,latitude,longitude\n1971011004,1,-2.5,106.12\n", encoding="utf-8")
    report = import_tps(session, actor_for("admin"), path)
    assert [(e.row, e.column) for e in report.errors] == [(2, "lat/lon")]
    assert "di luar wilayah Kota Pangkal Pinang" in report.errors[0].message


def test_reimport_changes_only_what_changed_and_says_so(session, actor_for, tmp_path):
    admin = actor_for("admin")
    fixed = SIREKAP.read_text().replace("-2.131891,106.1\n", "-2.131891,106.138933\n")
    path = tmp_path / "sirekap.csv"
    path.write_text(fixed, encoding="utf-8")
    stored = session.scalar(select(Tps).where(Tps.code == "19.71.01.1004-001"))
    dpt, lat = stored.dpt, stored.lat

    dry = import_tps(session, admin, path, dry_run=True)
    assert dry.ok and dry.updated == 6 and dry.created == 0
    assert session.get(Tps, stored.id).address.endswith("(alamat sintetis)")  # nothing written

    report = import_tps(session, admin, path)
    assert report.ok and report.updated == 6
    change = next(c for c in report.changes if c.label == "19.71.01.1004-001")
    assert set(change.fields) == {"address", "position_synthetic"}  # same point: only what changed
    tps = session.get(Tps, stored.id)
    assert tps.address == "SD Negeri 5 Semabung Lama" and tps.dpt == dpt and tps.lat == lat  # no DPT column: kept
    merapen_2 = session.scalar(select(Tps).where(Tps.code == "19.71.05.1002-002"))
    assert (merapen_2.lat, merapen_2.lon) == (-2.116783, 106.095839)

    again = import_tps(session, admin, path)
    assert again.ok and (again.updated, again.unchanged) == (0, 6) and not again.changes


def test_user_mapping_names_a_column_the_aliases_do_not_know(session, actor_for, tmp_path):
    path = tmp_path / "tps.csv"
    path.write_text("KD,NOMOR_URUT\n1971011004,43\n", encoding="utf-8")
    admin = actor_for("admin")
    assert not import_tps(session, admin, path, dry_run=True).ok
    report = import_tps(session, admin, path, dry_run=True, mapping={"KD": "kode_kelurahan", "no_tps": "NOMOR_URUT"})
    assert report.ok and report.created == 1
    bad = import_tps(session, admin, path, mapping={"KD": "bukan_kolom"})
    assert [e.column for e in bad.errors] == ["bukan_kolom"]


# Stations, facilities, vendors, couriers and medics.

SITE_FILES = [("faskes", "faskes"), ("pos", "pos_kesehatan"), ("vendor", "vendor"), ("kurir", "kurir"),
              ("medis", "tenaga_kesehatan")]


def test_example_site_files_import_in_order_and_a_second_run_changes_nothing(session, actor_for):
    admin = actor_for("admin")
    for kind, name in SITE_FILES:
        report = import_sites(session, admin, kind, SETUP / f"{name}_pangkalpinang.csv")
        assert report.ok and report.rows == 3, (kind, report.errors)
    rsud = session.scalar(select(HealthFacility).where(HealthFacility.code == "RSUD-DEPATI-HAMZAH"))
    assert rsud.kind.value == "rumah_sakit" and rsud.position_approximate
    assert (rsud.lat, rsud.lon) == (rsud.kelurahan.label_lat, rsud.kelurahan.label_lon)
    taman_sari = session.scalar(select(MedicStation).where(MedicStation.code == "POS-TAMANSARI"))
    assert taman_sari.kecamatan.nama == "Taman Sari" and taman_sari.hours_from == time(5, 30)
    assert taman_sari.hours_to == time(3, 0) and taman_sari.base_facility.code == "P1971040201"
    gerunggang = session.scalar(select(MedicStation).where(MedicStation.code == "POS-GERUNGGANG"))
    assert (gerunggang.lat, gerunggang.lon) == (rsud.lat, rsud.lon) and gerunggang.ambulances == 2
    kitchen = session.scalar(select(Vendor).where(Vendor.code == "KTR-GR"))
    assert (kitchen.kitchen_lat, kitchen.kitchen_lon) == (kitchen.kecamatan.label_lat, kitchen.kecamatan.label_lon)
    rudi = session.scalar(select(Person).where(Person.name == "Rudi Hartono"))
    assert rudi.role == PersonRole.COURIER and rudi.vendor_id == session.scalar(
        select(Vendor.id).where(Vendor.code == "KTR-BI")) and rudi.kecamatan.nama == "Bukit Intan"
    lina = session.scalar(select(Person).where(Person.name == "Bidan Lina"))
    assert lina.role == PersonRole.MEDIC and lina.medic_station_id == gerunggang.id
    for kind, name in SITE_FILES:
        again = import_sites(session, admin, kind, SETUP / f"{name}_pangkalpinang.csv")
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3), kind


def test_site_rows_are_checked_and_nothing_is_written(session, actor_for, tmp_path):
    path = tmp_path / "pos.csv"
    path.write_text("kode,nama,kecamatan,lat,lon,jam_buka,ambulans,faskes\n"
                    "A,Pos A,Bukit Intan,-2.13,106.13,5:30,1,\n"        # fine
                    "B,Pos B,Kecamatan Entah,-2.13,106.13,,,\n"         # unknown kecamatan
                    "C,Pos C,Gabek,-2.9,106.13,,,\n"                    # outside the kota
                    "D,Pos D,Gabek,,,25:00,banyak,\n"                   # bad hours, bad count
                    "A,Pos A lagi,Gabek,,,,,TIDAK-ADA\n",               # same code, unknown facility
                    encoding="utf-8")
    before = count(session, MedicStation), count(session, AuditEntry)
    report = import_sites(session, actor_for("admin"), "pos", path)
    assert {(e.row, e.column) for e in report.errors} == {
        (3, "kecamatan"), (4, "lat/lon"), (5, "jam_buka"), (5, "ambulans"), (6, "kode"), (6, "faskes")}
    assert (count(session, MedicStation), count(session, AuditEntry)) == before


def test_site_dry_run_and_unknown_vendor(session, actor_for, tmp_path):
    admin = actor_for("admin")
    path = tmp_path / "kurir.csv"
    path.write_text("nama,vendor\nKurir Baru,VENDOR-19.71.01\nKurir Lain,TIDAK-ADA\n", encoding="utf-8")
    report = import_sites(session, admin, "kurir", path)
    assert [(e.row, e.column) for e in report.errors] == [(3, "vendor")]
    path.write_text("nama,vendor\nKurir Baru,VENDOR-19.71.01\n", encoding="utf-8")
    before = count(session, Person)
    assert import_sites(session, admin, "kurir", path, dry_run=True).created == 1
    assert count(session, Person) == before
    with pytest.raises(PermissionDenied):
        import_sites(session, actor_for("koordinator"), "kurir", path)


def test_an_area_without_boundaries_from_codes_names_and_points(session, actor_for, tmp_path):
    """No boundary file: a kelurahan list with one point each; drawn areas, said so; TPS then import."""
    admin = actor_for("admin")
    text = (SETUP / "wilayah_kode_pangkalpinang.csv").read_text().replace("19.71.", "1995").replace(
        "Kota Pangkal Pinang", "Kota Tanpa Batas")
    path = tmp_path / "kode.csv"
    path.write_text(text, encoding="utf-8")  # codes without dots: 199501 1004 -> 19.95.01.1004
    report = import_boundaries(session, admin, path)
    assert report.ok, report.errors
    assert any("Voronoi" in n for n in report.notes) and report.created == 1 + 7 + 42
    kota = session.scalar(select(Kota).where(Kota.kode_kemendagri == "19.95"))
    assert kota.nama == "Kota Tanpa Batas"
    cells = session.scalars(select(Kelurahan).where(Kelurahan.kode_kemendagri.like("19.95.%"))).all()
    assert len(cells) == 42
    union = shape(kota.boundary)
    for kel in cells:  # each cell holds its own point, and the cells tile the kota
        assert shape(kel.boundary).contains(Point(kel.label_lon, kel.label_lat)), kel.nama
        assert shape(kel.boundary).exterior.is_ccw
    assert abs(sum(shape(k.boundary).area for k in cells) - union.area) < 1e-6
    semabung = next(k for k in cells if k.nama == "Semabung Lama")
    assert (semabung.label_lat, semabung.label_lon) == (-2.132953, 106.128586) and semabung.kode_bps == "1971020008"

    tps = tmp_path / "tps.csv"
    tps.write_text("kode_desa,tps\n1995011004,1\n", encoding="utf-8")
    assert import_tps(session, admin, tps).created == 1

    bad = tmp_path / "bad.csv"
    bad.write_text("kode_kelurahan,kelurahan,kecamatan,lat,lon\n19.94.01.1001,A,B,,106.1\n", encoding="utf-8")
    assert [(e.row, e.column) for e in import_boundaries(session, admin, bad).errors] == [(2, "lat/lon")]


def test_cli_dry_run_and_column_map(app, session, tmp_path):
    path = tmp_path / "tps.csv"
    path.write_text("KD,URUT\n1971011004,45\n", encoding="utf-8")
    runner = app.test_cli_runner()
    before = count(session, Tps)
    refused = runner.invoke(args=["import-tps", str(path), "--dry-run"])
    assert refused.exit_code == 1 and "kolom tidak ada di baris judul" in refused.output
    dry = runner.invoke(args=["import-tps", str(path), "--dry-run", "--map", "KD=kode_kelurahan",
                              "--map", "no_tps=URUT"])
    assert dry.exit_code == 0 and "1 akan dibuat" in dry.output and "tidak ada yang ditulis" in dry.output
    assert count(session, Tps) == before
    bad_map = runner.invoke(args=["import-tps", str(path), "--map", "KD"])
    assert bad_map.exit_code == 2 and "KOLOM_BERKAS=kolom" in bad_map.output
    sites = runner.invoke(args=["import-sites", "vendor", str(SETUP / "vendor_pangkalpinang.csv"), "--dry-run"])
    assert sites.exit_code == 0 and "3 akan dibuat" in sites.output
    boundaries = runner.invoke(args=["import-boundaries", str(BOUNDARIES), "--dry-run"])
    assert boundaries.exit_code == 0 and "EPSG:32748" in boundaries.output
