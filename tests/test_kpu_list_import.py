"""Real files matched against the national area list (issue 23, point 2): a TPS list in KPU's own numbers
is matched by name within its parent (kab/kota > kecamatan > kelurahan), no code typed by hand; partly wrong
coordinates import the rest on request, as approximate positions with a warning per row."""
from __future__ import annotations

from pathlib import Path

from shapely.geometry import Point, shape
from sqlalchemy import func, select

from logistics.area_list import AreaList, area_list
from logistics.imports.area_list_pick import set_up_from_list
from logistics.imports.tps_file import import_tps
from logistics.models import Kelurahan, Kota, Tps
from logistics.rules.geo import haversine_m

KPU_LIST = Path(__file__).parent / "fixtures" / "tps_kpu_internal_banten.csv"  # synthetic, see fixtures/README.md
BROKEN_ROWS = [6, 12, 22, 32]


def banten(session, admin) -> None:
    """Banten's Kabupaten and Kota Tangerang and Kota Cilegon, a few kecamatan each, from the real list."""
    real = area_list()
    keep = ["36", "36.03", "36.71", "36.72", "36.03.01", "36.03.13", "36.71.01", "36.71.05", "36.72.01"]
    rows = [(k, real.get(k).nama) for k in keep]
    rows += [(v.kode, v.nama) for k in keep if k.count(".") == 2 for v in real.children(k)]
    assert set_up_from_list(session, admin, "36", areas=AreaList(rows)).ok


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_kpu_list_in_kpu_numbers_is_refused_only_for_its_broken_coordinates(session, actor_for):
    admin = actor_for("admin")
    banten(session, admin)
    before = count(session, Tps)
    report = import_tps(session, admin, KPU_LIST)
    assert [(e.row, e.column) for e in report.errors] == [(row, "lat/lon") for row in BROKEN_ROWS]
    messages = [str(e.message) for e in report.errors]
    assert "angka hilang" in messages[0] and "tertukar" in messages[1] and "0,0" in messages[2]
    assert "km dari titik tengah TPS lain" in messages[3]
    assert count(session, Tps) == before


def test_with_warnings_the_rest_imports_and_broken_rows_get_approximate_positions(session, actor_for):
    admin = actor_for("admin")
    banten(session, admin)
    report = import_tps(session, admin, KPU_LIST, approximate_bad_points=True)
    assert report.ok, report.errors[:3]
    assert report.created == 42 and [w.row for w in report.warnings] == BROKEN_ROWS
    assert all("posisi perkiraan" in str(w.message) for w in report.warnings)
    tps = {t.code: t for t in session.scalars(select(Tps).where(Tps.code.like("36.7%")))}
    assert len(tps) == 42
    assert {c[:13] for c in tps} == {v.kode for k in ("36.71.01", "36.72.01") for v in area_list().children(k)}
    sukarasa = tps["36.71.01.1001-001"]  # 58390-SUKARASA, 1658390001-TPS 001: the official code, found by name
    assert (sukarasa.dpt, sukarasa.lat, sukarasa.position_approximate) == (294, -6.169803, False)
    lost_digits = tps["36.71.01.1002-002"]  # row 6: in Kel. Sukaasih, which has no outline yet
    others = [t for t in tps.values() if t.kelurahan_id == lost_digits.kelurahan_id and t is not lost_digits]
    assert lost_digits.position_approximate
    assert all(haversine_m(lost_digits.lat, lost_digits.lon, t.lat, t.lon) < 3_000 for t in others)
    kelapa_indah = tps["36.71.01.1003-001"]  # "58392-KEL. TANAH TINGGI": the 'Kel.' is not part of the name
    assert kelapa_indah.kelurahan.nama == "Tanah Tinggi"
    assert session.scalar(select(func.count()).select_from(Tps).join(Kelurahan).where(
        Kelurahan.kode_kemendagri.like("36.03.%"))) == 0  # Kabupaten Tangerang: none of its TPS are here


def test_kemendagri_codes_and_kpus_tps_code_also_work(session, actor_for, tmp_path):
    admin = actor_for("admin")
    banten(session, admin)
    path = tmp_path / "codes.csv"
    path.write_text("kode_desa,kode_tps,no_tps,lat,lon\n"
                    "36.71.01.1005,,4,-6.18,106.63\n"
                    "3671011006,,5,-6.18,106.63\n"
                    ",3671011007006,,-6.18,106.63\n", encoding="utf-8")
    report = import_tps(session, admin, path)
    assert report.ok, report.errors
    assert {t.code for t in session.scalars(select(Tps).where(Tps.code.like("36.71.%")))} == {
        "36.71.01.1005-004", "36.71.01.1006-005", "36.71.01.1007-006"}


def test_unknown_and_ambiguous_names_name_the_field_and_the_closest_areas(session, actor_for, tmp_path):
    admin = actor_for("admin")
    banten(session, admin)
    path = tmp_path / "names.csv"
    path.write_text("kabupaten/kota,kecamatan,kelurahan/desa,tps\n"
                    "4631-TANGERANG,58301-TANGRANG,58390-SUKARASA,1\n"  # a typo in the kecamatan
                    "4699-SERANG,58801-CIPOCOK JAYA,58890-BANJARSARI,1\n"  # a kab/kota not set up
                    "KOTA TANGERANG,TANGERANG,SUKARASAH,1\n"  # a typo in the kelurahan
                    "4631-TANGERANG,58301-TANGERANG,58390-SUKARASA,1\n"  # bare TANGERANG: the kecamatan decides
                    "KAB. TANGERANG,TANGERANG,SUKARASA,2\n", encoding="utf-8")  # the kabupaten has no such kecamatan
    report = import_tps(session, admin, path, dry_run=True)
    errors = {e.row: (e.column, str(e.message)) for e in report.errors}
    assert errors[2][0] == "kecamatan" and "yang mirip: Tangerang" in errors[2][1]
    assert errors[3][0] == "kota" and "Kota Serang (36.73)" in errors[3][1] and "belum disiapkan" in errors[3][1]
    assert errors[4][0] == "kelurahan" and "Sukarasa" in errors[4][1].split("yang mirip:")[1]
    # Matched (Kota Tangerang's Sukarasa); with no coordinates and no outline yet it has no position at all.
    assert errors[5] == ("lat/lon", "tanpa koordinat, dan Kel. Sukarasa belum punya titik: isi lat/lon atau impor "
                                    "batas wilayahnya dulu")
    assert errors[6][0] == "kecamatan" and "Kabupaten Tangerang" in errors[6][1]


def test_a_point_just_outside_its_kelurahan_is_a_warning_far_outside_an_error(session, actor_for, tmp_path):
    """Drawn or simplified outlines: a few hundred metres outside the kelurahan is taken, with a warning."""
    kel = session.scalar(select(Kelurahan).where(Kelurahan.kode_kemendagri == "19.71.05.1002"))
    kota = shape(session.scalar(select(Kota).where(Kota.kode_kemendagri == "19.71")).boundary)
    ring = shape(kel.boundary).buffer(0.005).exterior  # ~550 m outside
    near = next(p for p in (ring.interpolate(i / 50, normalized=True) for i in range(50)) if kota.contains(Point(p)))
    far_ring = shape(kel.boundary).buffer(0.02).exterior  # ~2 km outside
    far = next(p for p in (far_ring.interpolate(i / 50, normalized=True) for i in range(50)) if kota.contains(Point(p)))
    path = tmp_path / "near.csv"
    path.write_text(f"kode_desa,no_tps,lat,lon\n19.71.05.1002,60,{near.y:.6f},{near.x:.6f}\n"
                    f"19.71.05.1002,61,{far.y:.6f},{far.x:.6f}\n", encoding="utf-8")
    report = import_tps(session, actor_for("admin"), path, dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(3, "lat/lon")]
    assert [(w.row, w.column) for w in report.warnings] == [(2, "lat/lon")]
    assert "m di luar Kel. Bukit Merapen" in str(report.warnings[0].message)
    accepted = import_tps(session, actor_for("admin"), path, approximate_bad_points=True)
    assert accepted.ok and accepted.created == 2
    moved = session.scalar(select(Tps).where(Tps.code == "19.71.05.1002-061"))
    assert moved.position_approximate and (moved.lat, moved.lon) == (kel.label_lat, kel.label_lon)
