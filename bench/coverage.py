"""Benchmark: nearest-station coverage stored in `tps_coverage`, at national scale on PostgreSQL.

Builds N synthetic TPS and M medic stations spread over Indonesia (boxes for Sumatra, Java, Kalimantan,
Sulawesi, Bali-Nusa Tenggara, Maluku and Papua, weighted roughly by population: Java densest) in a
scratch database, then measures:
  * the full recompute (`recompute_all`, what `flask --app wsgi recompute-coverage` runs): first fill,
    and again with nothing changed;
  * the baseline in the same run: the previous approach, geopandas `sjoin_nearest` in UTM 48S computed
    in each app process (compute only, nothing stored; and wrong outside zone 48S);
  * a moved TPS, a new station (dense Java and sparse Papua), a moved station and a removed station,
    each an ORM change committed through the unit-of-work hook: seconds from commit to committed, and
    the answer read back from another connection;
  * correctness: the stored station of 2,000 random TPS against a brute-force haversine over all stations.

Usage:  .venv/bin/python bench/coverage.py [--tps 820000] [--stations 10000]
          [--pg postgresql://postgres@127.0.0.1:5432/siaga_bench_cov]
Benchmarks are not tests: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SIAGA_ENV", "development")

import numpy as np  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.election_rows import active_election_id  # noqa: E402
from logistics.models import Kecamatan, Kelurahan, Kota, MedicStation, Tps, TpsCoverage  # noqa: E402
from logistics.rules.geo import EARTH_RADIUS_M  # noqa: E402
from logistics.services.coverage import recompute_all  # noqa: E402
from logistics.services.unit_of_work import UnitOfWork  # noqa: E402
from siaga import create_app  # noqa: E402

# (min_lon, min_lat, max_lon, max_lat, share of TPS and stations)
ISLANDS = [
    (95.0, -5.9, 106.0, 5.9, 0.22),     # Sumatra
    (105.2, -8.8, 114.6, -5.8, 0.55),   # Java
    (108.8, -4.2, 119.0, 4.4, 0.06),    # Kalimantan
    (118.8, -5.6, 125.2, 1.8, 0.07),    # Sulawesi
    (114.4, -10.2, 125.0, -8.0, 0.06),  # Bali and Nusa Tenggara
    (124.0, -8.3, 135.0, 2.6, 0.015),   # Maluku
    (130.8, -9.1, 141.0, -0.3, 0.025),  # Papua
]
PER_KELURAHAN = 999


def reset(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def points(n: int, rng: np.random.Generator) -> np.ndarray:
    shares = np.array([box[4] for box in ISLANDS])
    which = rng.choice(len(ISLANDS), size=n, p=shares / shares.sum())
    boxes = np.array([box[:4] for box in ISLANDS])[which]
    lon = rng.uniform(boxes[:, 0], boxes[:, 2])
    lat = rng.uniform(boxes[:, 1], boxes[:, 3])
    return np.column_stack((lat, lon))


def copy_rows(session: Session, table: str, columns: str, rows: list[tuple]) -> None:
    raw = session.connection().connection.driver_connection
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(str(v) for v in row) + "\n")
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def build(session: Session, n_tps: int, n_stations: int, rng: np.random.Generator) -> None:
    square = {"type": "Polygon", "coordinates": [[[95, -11], [141, -11], [141, 6], [95, 6], [95, -11]]]}
    area = dict(boundary=square, min_lon=95, min_lat=-11, max_lon=141, max_lat=6, label_lat=-2.5, label_lon=118)
    kota = Kota(kode_kemendagri="99.99", nama="Indonesia Sintetis", provinsi="Sintetis", **area)
    session.add(kota)
    session.flush()
    kec = Kecamatan(kota_id=kota.id, kode_kemendagri="99.99.01", nama="Kec Sintetis", **area)
    session.add(kec)
    session.flush()
    n_kel = n_tps // PER_KELURAHAN + 1
    session.add_all([Kelurahan(kecamatan_id=kec.id, kode_kemendagri=f"99.99.01.{i:04d}", nama=f"Kel {i}", **area)
                     for i in range(n_kel)])
    session.flush()
    kel_ids = list(session.scalars(select(Kelurahan.id).order_by(Kelurahan.id)))
    election_id = active_election_id(session)  # COPY bypasses the ORM: the rows name the active election
    tps = points(n_tps, rng)
    copy_rows(session, "tps", "code, kelurahan_id, number, kind, address, lat, lon, position_synthetic, dpt, status,"
              " created_at, updated_at, election_id",
              [(f"SYN-{i:08d}", kel_ids[i // PER_KELURAHAN], i % PER_KELURAHAN + 1, "regular", f"Jl. Sintetis {i}",
                f"{lat:.6f}", f"{lon:.6f}", "t", 300, "setup", "2026-11-23 00:00:00+00", "2026-11-23 00:00:00+00",
                election_id) for i, (lat, lon) in enumerate(tps)])
    stations = points(n_stations, rng)
    copy_rows(session, "medic_station", "code, name, kecamatan_id, lat, lon, ambulances, hours_from, hours_to,"
              " created_at, updated_at, election_id",
              [(f"POS-{i:06d}", f"Pos {i}", kec.id, f"{lat:.6f}", f"{lon:.6f}", 0, "05:30", "03:00",
                "2026-11-23 00:00:00+00", "2026-11-23 00:00:00+00", election_id)
               for i, (lat, lon) in enumerate(stations)])
    session.commit()
    session.execute(text("ANALYZE"))
    session.commit()


def baseline_sjoin_utm48s(session: Session) -> float:
    """The previous approach (per process, per change): geopandas sjoin_nearest in UTM 48S."""
    import geopandas as gpd

    started = time.perf_counter()
    tps = np.array(session.execute(select(Tps.id, Tps.lon, Tps.lat)).all(), dtype=float)
    st = np.array(session.execute(select(MedicStation.id, MedicStation.lon, MedicStation.lat)).all(), dtype=float)
    a = gpd.GeoDataFrame({"tps_id": tps[:, 0]}, geometry=gpd.points_from_xy(tps[:, 1], tps[:, 2]), crs="EPSG:4326")
    b = gpd.GeoDataFrame({"sid": st[:, 0]}, geometry=gpd.points_from_xy(st[:, 1], st[:, 2]), crs="EPSG:4326")
    gpd.sjoin_nearest(a.to_crs("EPSG:32748"), b.to_crs("EPSG:32748"), how="left", distance_col="d")
    return time.perf_counter() - started


def read_elsewhere(engine, tps_id: int) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(TpsCoverage.medic_station_id).where(TpsCoverage.tps_id == tps_id)).scalar()


def timed_commit(uow: UnitOfWork) -> float:
    started = time.perf_counter()
    uow.commit()
    return time.perf_counter() - started


def check_correctness(session: Session, rng: np.random.Generator, sample: int = 2000) -> int:
    st = np.array(session.execute(select(MedicStation.id, MedicStation.lat, MedicStation.lon)).all(), dtype=float)
    top = session.scalar(select(Tps.id).order_by(Tps.id.desc()).limit(1))
    ids = [int(i) for i in rng.integers(1, top + 1, size=sample)]
    rows = session.execute(select(Tps.id, Tps.lat, Tps.lon, TpsCoverage.medic_station_id)
                           .join(TpsCoverage, TpsCoverage.tps_id == Tps.id).where(Tps.id.in_(ids))).all()
    wrong = 0
    p1, l1 = np.radians(st[:, 1]), np.radians(st[:, 2])
    for _tid, lat, lon, sid in rows:
        p0, l0 = np.radians(lat), np.radians(lon)
        a = np.sin((p1 - p0) / 2) ** 2 + np.cos(p0) * np.cos(p1) * np.sin((l1 - l0) / 2) ** 2
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))
        best = d.min()
        # a tie (two stations equally near, to the millimetre) may go either way
        wrong += int(d[st[:, 0] == sid][0] > best + 0.001)
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tps", type=int, default=820_000)
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/siaga_bench_cov")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    url = args.pg.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.rsplit("/", 1)[1]}).scalar():
            conn.execute(text(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"'))
    admin.dispose()
    reset(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
    with app.app_context():
        upgrade()
    engine = create_engine(url)
    rng = np.random.default_rng(2026)
    figures: dict[str, str] = {}
    # The app's derived data (coverage, data versions) is kept by the unit of work: the bench commits through it.
    with Session(engine) as session, UnitOfWork(session) as uow:
        started = time.perf_counter()
        build(session, args.tps, args.stations, rng)
        figures["build (COPY TPS + stations)"] = f"{time.perf_counter() - started:.1f} s"
        print(f"built {args.tps:,} TPS and {args.stations:,} stations: {figures['build (COPY TPS + stations)']}",
              flush=True)

        started = time.perf_counter()
        written = recompute_all(session)
        uow.commit()
        first = time.perf_counter() - started
        figures["full recompute, first fill"] = f"{first:.2f} s ({written:,} rows)"
        session.execute(text("ANALYZE tps_coverage"))
        uow.commit()
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            written = recompute_all(session)
            uow.commit()
            runs.append(time.perf_counter() - started)
        figures["full recompute, nothing changed (median of 3)"] = f"{statistics.median(runs):.2f} s ({written} rows)"
        base = baseline_sjoin_utm48s(session)
        figures["baseline: sjoin_nearest UTM 48S, per process"] = f"{base:.2f} s"
        figures["full recompute vs baseline"] = f"{statistics.median(runs) / base:.2f}x"
        print(figures, flush=True)

        top = session.scalar(select(Tps.id).order_by(Tps.id.desc()).limit(1))
        moves, seen = [], 0
        for i in range(args.repeat):
            tps = session.get(Tps, int(rng.integers(1, top + 1)))
            tps.lat, tps.lon = (float(v) for v in points(1, rng)[0])
            moves.append(timed_commit(uow))
            expected = session.scalar(select(TpsCoverage.medic_station_id).where(TpsCoverage.tps_id == tps.id))
            seen += read_elsewhere(engine, tps.id) == expected
        figures["moved TPS: commit incl. recompute (median / max)"] = \
            f"{statistics.median(moves) * 1000:.0f} / {max(moves) * 1000:.0f} ms ({seen}/{args.repeat} read back elsewhere)"

        kec_id = session.scalar(select(Kecamatan.id).limit(1))
        for name, box in (("Java", ISLANDS[1]), ("Papua", ISLANDS[6])):
            added = []
            for i in range(args.repeat):
                lat, lon = rng.uniform(box[1], box[3]), rng.uniform(box[0], box[2])
                station = MedicStation(code=f"NEW-{name}-{i}", name="Pos baru", kecamatan_id=kec_id, lat=lat, lon=lon,
                                       hours_from=clock(5, 30), hours_to=clock(3, 0))
                session.add(station)
                added.append(timed_commit(uow))
            figures[f"new station in {name}: commit incl. recompute (median / max)"] = \
                f"{statistics.median(added) * 1000:.0f} / {max(added) * 1000:.0f} ms"

        moved, removed = [], []
        ids = list(session.scalars(select(MedicStation.id).order_by(MedicStation.id).limit(args.repeat * 2)))
        for sid in ids[:args.repeat]:
            station = session.get(MedicStation, sid)
            station.lat, station.lon = (float(v) for v in points(1, rng)[0])
            moved.append(timed_commit(uow))
        for sid in ids[args.repeat:]:
            session.delete(session.get(MedicStation, sid))
            removed.append(timed_commit(uow))
        figures["moved station (median / max)"] = f"{statistics.median(moved) * 1000:.0f} / {max(moved) * 1000:.0f} ms"
        figures["removed station (median / max)"] = \
            f"{statistics.median(removed) * 1000:.0f} / {max(removed) * 1000:.0f} ms"
        wrong = check_correctness(session, rng)
        figures["stored station not the haversine nearest (of 2,000 sampled)"] = str(wrong)
        started = time.perf_counter()
        written = recompute_all(session)
        uow.commit()
        figures["full recompute after all the changes above (rows it had to fix)"] = \
            f"{time.perf_counter() - started:.2f} s ({written} rows)"
    engine.dispose()
    print(f"\n{args.tps:,} TPS x {args.stations:,} stations, PostgreSQL\n")
    print("| measure | figure |\n|---|---|")
    for key, value in figures.items():
        print(f"| {key} | {value} |")


if __name__ == "__main__":
    main()
