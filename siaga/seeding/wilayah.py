"""Kota, kecamatan and kelurahan: real boundaries (cahyadsn/wilayah_boundaries, MIT) and BPS
codes (Wilayah-Administratif-Indonesia, ODbL); see seed_data/SOURCES.md."""
from __future__ import annotations

from shapely.geometry import shape
from sqlalchemy.orm import Session

from logistics.models import Kecamatan, Kelurahan, Kota
from siaga.seeding.common import add_missing, bbox_fields, existing, read_csv, read_geojson


def seed(session: Session) -> dict[str, tuple[int, int]]:
    codes = {row["kode_kemendagri"]: row for row in read_csv("pangkalpinang_wilayah_kode.csv")}
    kota_feature = read_geojson("pangkalpinang_kota.geojson")[0]
    kp = kota_feature["properties"]
    label = shape(kota_feature["geometry"]).representative_point()
    counts = {"kota": add_missing(session, Kota.kode_kemendagri, [dict(
        kode_kemendagri=kp["kode_kemendagri"], kode_bps=codes[kp["kode_kemendagri"]]["kode_bps"],
        nama=kp["nama"], jenis="kota", provinsi=kp["provinsi"],
        **bbox_fields(kota_feature["geometry"], label.y, label.x),
    )])}
    kota = existing(session, Kota.kode_kemendagri)[kp["kode_kemendagri"]]

    counts["kecamatan"] = add_missing(session, Kecamatan.kode_kemendagri, [dict(
        kota_id=kota.id, kode_kemendagri=f["properties"]["kode_kemendagri"],
        kode_bps=codes[f["properties"]["kode_kemendagri"]]["kode_bps"], nama=f["properties"]["nama"],
        **bbox_fields(f["geometry"], f["properties"]["label_lat"], f["properties"]["label_lng"]),
    ) for f in read_geojson("pangkalpinang_kecamatan.geojson")])
    kecamatan = existing(session, Kecamatan.kode_kemendagri)

    counts["kelurahan"] = add_missing(session, Kelurahan.kode_kemendagri, [dict(
        kecamatan_id=kecamatan[p["kode_kec_kemendagri"]].id, kode_kemendagri=p["kode_kemendagri"],
        kode_bps=codes[p["kode_kemendagri"]]["kode_bps"], nama=p["nama"],
        nama_bps=codes[p["kode_kemendagri"]]["nama_bps"], jenis=p["jenis"].lower(),
        **bbox_fields(f["geometry"], p["label_lat"], p["label_lng"]),
    ) for f in read_geojson("pangkalpinang_kelurahan.geojson") for p in [f["properties"]]])
    return counts
