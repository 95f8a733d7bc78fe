"""A boundary file holding several kab/kota, or a province (issue 23, point 2): each feature matched by code or
by name within its kecamatan and kab/kota (a `KAB_KOTA` column) against the national list; desa stored as
desa; each kab/kota gets its own kecamatan and outline, created from the list when not yet set up."""
from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import Point, shape
from sqlalchemy import select

from logistics.area_list import area_list
from logistics.imports.boundary_file import import_boundaries
from logistics.models import Kecamatan, Kelurahan, Kota


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                [lon, lat + size], [lon, lat]]]}


def banten_file(tmp_path: Path, kecamatan: tuple[str, ...] = ("36.72.01", "36.04.05"), name: str = "banten.geojson") -> Path:
    """Synthetic squares for real desa/kelurahan: Kota Cilegon's with their codes, Kabupaten Serang's with names
    only (as some provincial files come), in one file."""
    features, listed = [], area_list()
    for k, kec_code in enumerate(kecamatan):
        kec, kab = listed.get(kec_code), listed.get(kec_code[:5])
        for i, village in enumerate(listed.children(kec_code)[:4]):
            by_name = kec_code.startswith("36.04")
            props = {"KODE_DESA": "" if by_name else village.kode.replace(".", ""), "DESA": village.nama.upper(),
                     "KECAMATAN": kec.nama.upper(), "KAB_KOTA": ("KAB. " + kab.nama.split(" ", 1)[1]).upper()
                     if by_name else kab.nama.upper(), "PROVINSI": "BANTEN"}
            features.append({"type": "Feature", "properties": props,
                             "geometry": square(106.0 + 0.1 * k + 0.01 * i, -6.0)})
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_one_file_two_kab_kota_matched_by_code_and_by_name(session, actor_for, tmp_path):
    report = import_boundaries(session, actor_for("admin"), banten_file(tmp_path))
    assert report.ok, report.errors
    kotas = {k.kode_kemendagri: k for k in session.scalars(select(Kota).where(Kota.kode_kemendagri.like("36.%")))}
    assert {c: (k.nama, k.jenis, k.provinsi) for c, k in kotas.items()} == {
        "36.04": ("Kabupaten Serang", "kabupaten", "Banten"), "36.72": ("Kota Cilegon", "kota", "Banten")}
    serang = session.scalars(select(Kelurahan).where(Kelurahan.kode_kemendagri.like("36.04.05.%"))).all()
    assert {(v.kode_kemendagri, v.nama, v.jenis) for v in serang} == {
        (v.kode, v.nama, "desa") for v in area_list().children("36.04.05")[:4]}  # found by name, stored as desa
    cilegon = session.scalars(select(Kelurahan).where(Kelurahan.kode_kemendagri.like("36.72.01.%"))).all()
    assert len(cilegon) == 4 and {v.jenis for v in cilegon} == {"kelurahan"}
    kramatwatu = session.scalar(select(Kecamatan).where(Kecamatan.kode_kemendagri == "36.04.05"))
    assert kramatwatu.kota_id == kotas["36.04"].id
    assert not shape(kotas["36.72"].boundary).intersects(Point(106.115, -5.995))  # Serang's square: not Cilegon's
    assert shape(kotas["36.04"].boundary).contains(Point(106.115, -5.995))


def test_a_second_kab_kota_later_does_not_mix_with_the_first(session, actor_for, tmp_path):
    admin = actor_for("admin")
    assert import_boundaries(session, admin, banten_file(tmp_path, ("36.04.05",), "serang.geojson")).ok
    serang = session.scalar(select(Kota).where(Kota.kode_kemendagri == "36.04"))
    outline = serang.boundary
    report = import_boundaries(session, admin, banten_file(tmp_path, ("36.72.02",), "cilegon.geojson"))
    assert report.ok, report.errors
    assert session.get(Kota, serang.id).boundary == outline and session.get(Kota, serang.id).nama == "Kabupaten Serang"
    cilegon = session.scalar(select(Kecamatan).where(Kecamatan.kode_kemendagri == "36.72.02"))
    assert cilegon.kota.kode_kemendagri == "36.72" and cilegon.kota.nama == "Kota Cilegon"


def test_a_name_the_list_lacks_is_an_error_with_the_closest_names(session, actor_for, tmp_path):
    path = banten_file(tmp_path, ("36.04.05",))
    data = json.loads(path.read_text())
    data["features"][0]["properties"]["DESA"] = "KRAMATWATUU"
    path.write_text(json.dumps(data))
    report = import_boundaries(session, actor_for("admin"), path)
    assert [(e.row, e.column) for e in report.errors] == [(1, "kelurahan")]
    assert "yang mirip: Kramatwatu" in str(report.errors[0].message)
