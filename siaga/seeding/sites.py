"""Health facilities (Kemenkes 2019 scrape), one medic station per kecamatan, a catering vendor
per kecamatan, and the synthetic TPS list (seed_data/tps_pangkalpinang_synthetic.csv)."""
from __future__ import annotations

from datetime import time

from sqlalchemy.orm import Session

from logistics.models import FacilityKind, HealthFacility, Kecamatan, Kelurahan, MedicStation, Tps, TpsKind, Vendor
from logistics.rules.geo import nearest
from siaga.seeding.common import add_missing, existing, read_csv, read_geojson

# Kecamatan code -> the puskesmas its election-day pos kesehatan works from. Girimaya has no
# puskesmas in the source data: its post sits at the kecamatan's label point (synthetic) and is
# based at the nearest puskesmas. Bukit Intan, the largest, gets a second post on the east side.
STATION_BASES = {
    "19.71.01": "P1971020203",  # Puskesmas Pasir Putih
    "19.71.02": "P1971040201",  # Puskesmas Taman Sari
    "19.71.03": "P1971030201",  # Puskesmas Pangkal Balam
    "19.71.04": "P1971010202",  # Puskesmas Melintang
    "19.71.05": "P1971041202",  # Puskesmas Gerunggang
    "19.71.06": "P1971031201",  # Puskesmas Selindung
    "19.71.07": None,
}
EXTRA_STATIONS = [("19.71.01", "P1971020101", "Pos Kesehatan Bukit Intan Timur")]  # Puskesmas Air Itam
ELECTION_DAY_HOURS = (time(5, 30), time(3, 0))  # 05:30 until 03:00 the next morning, WIB


def seed(session: Session) -> dict[str, tuple[int, int]]:
    kelurahan = existing(session, Kelurahan.kode_kemendagri)
    kecamatan = existing(session, Kecamatan.kode_kemendagri)
    counts = {"health_facility": add_missing(session, HealthFacility.code, [dict(
        code=p["id"], name=p["nama"], kind=FacilityKind(p["jenis"]), address=p["alamat"],
        kelurahan_id=kelurahan[p["kode_kel_kemendagri"]].id,
        lat=f["geometry"]["coordinates"][1], lon=f["geometry"]["coordinates"][0],
        position_approximate=p["coord_method"] != "source",
        source_note="; ".join(x for x in (p.get("catatan"), p.get("sumber")) if x),
    ) for f in read_geojson("pangkalpinang_health_facilities.geojson") for p in [f["properties"]]])}
    facilities = existing(session, HealthFacility.code)

    stations = []
    for kode, base_code in STATION_BASES.items():
        kec = kecamatan[kode]
        if base_code is None:
            puskesmas = [(f, f.lat, f.lon) for f in facilities.values() if f.kind == FacilityKind.PUSKESMAS]
            base, lat, lon = nearest(kec.label_lat, kec.label_lon, puskesmas)[0], kec.label_lat, kec.label_lon
        else:
            base = facilities[base_code]
            lat, lon = base.lat, base.lon
        stations.append(_station(f"POSKES-{kode}", f"Pos Kesehatan Kecamatan {kec.nama}", kec, base, lat, lon, 1))
    for i, (kode, base_code, name) in enumerate(EXTRA_STATIONS, start=2):
        base = facilities[base_code]
        stations.append(_station(f"POSKES-{kode}-{i}", name, kecamatan[kode], base, base.lat, base.lon, 0))
    counts["medic_station"] = add_missing(session, MedicStation.code, stations)

    # One catering vendor per kecamatan; kitchens sit at the kecamatan's label point (synthetic).
    counts["vendor"] = add_missing(session, Vendor.code, [dict(
        code=f"VENDOR-{kec.kode_kemendagri}", name=f"Katering Kecamatan {kec.nama} (vendor sintetis)",
        kecamatan_id=kec.id, kitchen_lat=kec.label_lat, kitchen_lon=kec.label_lon,
        contact_phone=f"0800-2000-{int(kec.kode_kemendagri[-2:]):04d}",
    ) for kec in kecamatan.values()])

    counts["tps"] = add_missing(session, Tps.code, [dict(
        code=r["code"], kelurahan_id=kelurahan[r["kelurahan_kode"]].id, number=int(r["number"]),
        kind=TpsKind(r["kind"]), special_location=r["special_location"] or None, address=r["address"],
        lat=float(r["lat"]), lon=float(r["lon"]), position_synthetic=r["synthetic"] == "1", dpt=int(r["dpt"]),
    ) for r in read_csv("tps_pangkalpinang_synthetic.csv")])
    return counts


def _station(code, name, kec, base, lat, lon, ambulances) -> dict:
    seq = int(kec.kode_kemendagri[-2:]) * 10 + ambulances
    return dict(code=code, name=name, kecamatan_id=kec.id, base_facility_id=base.id, lat=lat, lon=lon,
                contact_phone=f"0800-1971-{seq:04d}", ambulances=ambulances,
                hours_from=ELECTION_DAY_HOURS[0], hours_to=ELECTION_DAY_HOURS[1])
