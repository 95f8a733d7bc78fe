"""The national area list ships with Siaga (seed_data/national/, idn-area-data, ODbL); picking a kab/kota
or a province creates its kecamatan and desa/kelurahan with official codes, no boundary file needed."""
import gzip
from pathlib import Path

from sqlalchemy import func, select

from logistics.area_list import AreaList, build_list_file, area_list
from logistics.imports.area_list_pick import set_up_from_list
from logistics.models import AuditEntry, Kecamatan, Kelurahan, Kota
from logistics.rules.time_zones import WIT


def test_the_list_holds_every_area_of_the_nation():
    areas = area_list()
    assert areas.counts() == {"provinsi": 38, "kab_kota": 514, "kecamatan": 7285, "desa_kelurahan": 83762}
    assert areas.get("19.71").nama == "Kota Pangkal Pinang" and areas.get("19.71").jenis == "kota"
    assert areas.get("11.01").jenis == "kabupaten"
    assert areas.get("19.71.01.1004").jenis == "kelurahan" and areas.get("11.01.01.2001").jenis == "desa"
    assert [a.kode for a in areas.children("19.71")][:2] == ["19.71.01", "19.71.02"]


def test_the_list_file_is_rebuilt_from_the_packages_csv_files(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "provinces.csv").write_text("code,name\n81,Maluku\n")
    (data / "regencies.csv").write_text("code,province_code,name\n81.71,81,Kota  Ambon\n")
    (data / "districts.csv").write_text("code,regency_code,name\n81.71.01,81.71,Nusaniwe\n")
    (data / "villages.csv").write_text("code,district_code,name\n81.71.01.1001,81.71.01,Benteng\n")
    target = tmp_path / "wilayah.csv.gz"
    counts = build_list_file(data, target)
    assert counts == {"provinsi": 1, "kab_kota": 1, "kecamatan": 1, "desa_kelurahan": 1}
    first = target.read_bytes()
    assert gzip.decompress(first).decode().splitlines()[2] == "81.71,Kota Ambon"
    build_list_file(data, target)
    assert target.read_bytes() == first  # an update that changes nothing changes no byte
    area_list.cache_clear()


def test_picking_a_kab_kota_creates_its_kecamatan_and_desa_with_official_codes(session, actor_for):
    listed = area_list()
    report = set_up_from_list(session, actor_for("admin"), "82.72")  # Kota Tidore Kepulauan, Maluku Utara
    assert report.ok and report.created == 1 + 8 + 89
    kota = session.scalar(select(Kota).where(Kota.kode_kemendagri == "82.72"))
    assert (kota.nama, kota.jenis, kota.provinsi, kota.boundary) == ("Kota Tidore Kepulauan", "kota", "Maluku Utara", None)
    assert kota.zone is WIT
    kecamatan = session.scalars(select(Kecamatan).where(Kecamatan.kota_id == kota.id)).all()
    assert sorted(k.kode_kemendagri for k in kecamatan) == [a.kode for a in listed.children("82.72")]
    villages = session.scalars(select(Kelurahan).where(Kelurahan.kecamatan_id.in_([k.id for k in kecamatan]))).all()
    expected = {a.kode: (a.nama, a.jenis) for k in listed.children("82.72") for a in listed.children(k.kode)}
    assert {v.kode_kemendagri: (v.nama, v.jenis) for v in villages} == expected
    assert {v.jenis for v in villages} == {"desa", "kelurahan"}
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "kelurahan.picked")) == 89
    again = set_up_from_list(session, actor_for("admin"), "82.72")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 98)  # picking again changes nothing


def test_picking_a_province_sets_up_each_kab_kota_and_wrong_picks_are_refused(session, actor_for):
    admin = actor_for("admin")
    dry = set_up_from_list(session, admin, "81", dry_run=True)  # Maluku: 11 kab/kota
    assert dry.ok and dry.created > 11 and session.scalar(select(func.count()).select_from(Kota).where(
        Kota.kode_kemendagri.like("81%"))) == 0
    for wrong in ("99", "82.72.01", "nonsense"):
        report = set_up_from_list(session, admin, wrong)
        assert not report.ok and report.errors[0].column == "kode"
    small = AreaList([("81", "Maluku"), ("81.71", "Kota Ambon"), ("81.72", "Kota Tual"), ("81.71.01", "Nusaniwe"),
                      ("81.71.01.1001", "Benteng"), ("81.72.01", "Pulau Dullah Selatan")])
    report = set_up_from_list(session, admin, "81", areas=small)
    assert report.ok and {k.kode_kemendagri for k in session.scalars(select(Kota).where(
        Kota.kode_kemendagri.like("81%")))} == {"81.71", "81.72"}


def test_only_an_admin_picks_areas(session, actor_for):
    import pytest

    from logistics.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        set_up_from_list(session, actor_for("koordinator"), "82.72")


def test_an_admin_picks_a_kab_kota_on_the_setup_page(client, session):
    from tests.field_client import log_in_as
    from tests.test_auth import csrf_token

    log_in_as(client, session, "admin")
    page = client.get("/admin/wilayah").get_data(as_text=True)
    assert '<option value="82.72">82.72 · Kota Tidore Kepulauan</option>' in page
    response = client.post("/admin/wilayah/pilih", data={"kode": "82.72", "csrf_token": csrf_token(client, "/admin/wilayah")})
    assert response.status_code == 303
    assert session.scalar(select(func.count()).select_from(Kelurahan).where(
        Kelurahan.kode_kemendagri.like("82.72.%"))) == 89
    wrong = client.post("/admin/wilayah/pilih", data={"kode": "82.72.01", "csrf_token": csrf_token(client, "/admin/wilayah")},
                        headers={"Accept": "application/json"})
    assert wrong.status_code == 422 and "kode" in wrong.get_json()["error"]["fields"]
