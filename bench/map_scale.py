"""Benchmark: does the live map scale with the number of TPS?

For synthetic cities of 400, 10,000, 100,000 and 820,000 TPS, on SQLite and on PostgreSQL:
  * the real /map page (Folium + self-hosted Leaflet; no points, no polygons in the page): build time
    (through the Flask test client, in-process: median and slowest of --page-runs, after a first) and size,
  * a naive Folium page with one folium.Marker per TPS, same data, same run (not run at a size where
    it would take longer than --naive-limit seconds, extrapolated linearly from the previous size),
  * the bounding-box endpoint /map/data/tps.geojson: p50 / p95 latency over random 1366x768
    viewports centred on random TPS at zoom 14 (detail), and zoomed out — zoom 9 and the whole synthetic
    region at zoom 6 — read from the stored grid counts (`map_grid_cell`), cold (no ETag),
  * the grid refresh (`flask refresh-map-grid`): the first count, and again after 1% of TPS changed status,
  * once per run: the boundary endpoint's size per level and zoom for the demo city's real polygons.

Synthetic TPS are spread uniformly over a 4.5 x 4.5 degree area (south Sumatra / Bangka), on top
of the Pangkalpinang demo; at 820,000 TPS that is ~3.3 TPS per km2, Pangkalpinang's own density. The
area is cut into 9 x 9 synthetic kecamatan of 0.5 degrees, each into 10 x 10 kelurahan, and a TPS
belongs to the kelurahan it stands in (compact areas, as real ones are).

The measuring functions (`measure_map_page`, `measure_endpoint`, `measure_grid`, `measure_refresh`,
`measure_boundaries`) take an app (and a logged-in test client) and are reused by bench/national.py.

Usage:  SIAGA_ENV=development .venv/bin/python bench/map_scale.py \
          [--sizes 400,10000,100000,820000] [--pg postgresql://postgres@127.0.0.1:5432/siaga_bench]
Benchmarks are not tests: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SIAGA_ENV", "development")

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from bench.election_rows import active_election_id  # noqa: E402
from logistics.models import Kecamatan, Kelurahan, Kota, Tps  # noqa: E402
from logistics.services import map_grid  # noqa: E402
from logistics.services.coverage import recompute_all  # noqa: E402
from logistics.services.data_versions import bump  # noqa: E402
from logistics.services.unit_of_work import UnitOfWork  # noqa: E402
from siaga import create_app  # noqa: E402
from siaga.config import normalise_database_url  # noqa: E402
from siaga.extensions import db  # noqa: E402
from siaga.seeding import seed_demo  # noqa: E402

REGION = (106.5, -5.75, 111.0, -1.25)  # min_lon, min_lat, max_lon, max_lat
KEC_DEG, KEL_PER_SIDE = 0.5, 10  # synthetic kecamatan: 0.5 degree squares of 10 x 10 kelurahan
KEC_PER_SIDE = round((REGION[2] - REGION[0]) / KEC_DEG)
STATUSES = ["open"] * 6 + ["setup", "voting_closed", "counted", "handed_over"]
PASSWORD = "bench-password"
VIEWPORT_PX = (1366, 768)


def reset(url: str) -> None:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(url: str):
    # No worker refresh: the benchmark counts the grid itself, and times it.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": False,
                      "MAP_GRID_REFRESH": "off"})
    with app.app_context():
        upgrade()
        seed_demo(db.session, demo_password=PASSWORD)
        db.session.remove()
    return app


def _square(min_lon: float, min_lat: float, size: float) -> dict:
    max_lon, max_lat = min_lon + size, min_lat + size
    ring = [[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat], [min_lon, min_lat]]
    return dict(boundary={"type": "Polygon", "coordinates": [ring]}, min_lon=min_lon, min_lat=min_lat,
                max_lon=max_lon, max_lat=max_lat, label_lat=min_lat + size / 2, label_lon=min_lon + size / 2)


def synthetic_area(session) -> dict[tuple[int, int], int]:
    """The synthetic kota, its 9 x 9 kecamatan and their kelurahan (once); returns kelurahan id by
    (column, row) of its 0.05 degree square in the region."""
    kota = session.scalar(select(Kota).where(Kota.kode_kemendagri == "99.99"))
    if kota is None:
        kota = Kota(kode_kemendagri="99.99", nama="Kota Sintetis", provinsi="Sintetis",
                    **_square(REGION[0], REGION[1], REGION[2] - REGION[0]))
        session.add(kota)
        session.flush()
        kel_deg = KEC_DEG / KEL_PER_SIDE
        for kx in range(KEC_PER_SIDE):
            for ky in range(KEC_PER_SIDE):
                kec = Kecamatan(kota=kota, kode_kemendagri=f"99.{kx}{ky}", nama=f"Kec Sintetis {kx}-{ky}",
                                **_square(REGION[0] + kx * KEC_DEG, REGION[1] + ky * KEC_DEG, KEC_DEG))
                session.add(kec)
                for i in range(KEL_PER_SIDE):
                    for j in range(KEL_PER_SIDE):
                        session.add(Kelurahan(kecamatan=kec, kode_kemendagri=f"99.{kx}{ky}.{i}{j}",
                                              nama=f"Kel Sintetis {kx}-{ky}-{i}-{j}",
                                              **_square(kec.min_lon + i * kel_deg, kec.min_lat + j * kel_deg, kel_deg)))
        session.commit()
    ids = {}
    side = KEC_PER_SIDE * KEL_PER_SIDE
    for kel_id, lon, lat in session.execute(select(Kelurahan.id, Kelurahan.min_lon, Kelurahan.min_lat)
                                            .where(Kelurahan.kode_kemendagri.like("99.%"))):
        ids[(min(side - 1, round((lon - REGION[0]) / (KEC_DEG / KEL_PER_SIDE))),
             min(side - 1, round((lat - REGION[1]) / (KEC_DEG / KEL_PER_SIDE))))] = kel_id
    return ids


def add_tps(app, target: int, rng: random.Random) -> float:
    """Insert synthetic TPS until there are `target` in all; returns seconds spent."""
    started = time.perf_counter()
    with app.app_context():
        session = db.session
        current = session.scalar(select(func.count(Tps.id)))
        synthetic = session.scalar(select(func.count(Tps.id)).where(Tps.code.like("SYN-%")))
        todo = target - current
        if todo <= 0:
            return 0.0
        kelurahan = synthetic_area(session)
        numbers = dict(session.execute(select(Tps.kelurahan_id, func.max(Tps.number))
                                       .where(Tps.code.like("SYN-%")).group_by(Tps.kelurahan_id)).all())
        side = KEC_PER_SIDE * KEL_PER_SIDE
        kel_deg = KEC_DEG / KEL_PER_SIDE
        now = datetime.now(timezone.utc)
        election_id = active_election_id(session)  # raw SQL below: the rows name the active election
        rows = []
        for i in range(synthetic, synthetic + todo):
            lat, lon = rng.uniform(REGION[1], REGION[3]), rng.uniform(REGION[0], REGION[2])
            kel = kelurahan[(min(side - 1, int((lon - REGION[0]) / kel_deg)), min(side - 1, int((lat - REGION[1]) / kel_deg)))]
            numbers[kel] = numbers.get(kel, 0) + 1
            rows.append((f"SYN-{i:08d}", kel, numbers[kel], "regular", f"Jl. Sintetis {i}", lat, lon,
                         True, rng.randint(150, 600), rng.choice(STATUSES), now, now, election_id))
        columns = ("code, kelurahan_id, number, kind, address, lat, lon, position_synthetic, dpt, status, created_at,"
                   " updated_at, election_id")
        if db.engine.dialect.name == "postgresql":
            raw = db.engine.raw_connection()
            try:
                with raw.cursor() as cur, cur.copy(f"COPY tps ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                raw.commit()
                with raw.cursor() as cur:
                    cur.execute("ANALYZE tps")
                raw.commit()
            finally:
                raw.close()
        else:
            rows = [r[:10] + (r[10].replace(tzinfo=None).isoformat(" "), r[11].replace(tzinfo=None).isoformat(" "))
                    + r[12:] for r in rows]
            raw = db.engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.execute("BEGIN")
                for start in range(0, len(rows), 50_000):
                    cur.executemany(f"INSERT INTO tps ({columns}) VALUES ({', '.join('?' * 13)})",
                                    rows[start:start + 50_000])
                cur.execute("COMMIT")
                cur.execute("ANALYZE")
            finally:
                raw.close()
        session.rollback()  # end the read transaction begun before the bulk load (SQLite: stale snapshot)
        bump(session, ["tps"])  # the bulk load bypassed the unit of work: say that TPS changed
        session.commit()
        session.remove()
    return time.perf_counter() - started


def logged_in_client(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "koordinator", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def measure_map_page(app, client, runs: int = 10) -> dict:
    """The /map page as a coordinator gets it: build time in-process (test client, ms: the first request,
    then median and slowest of `runs`) and size (KB); `healthz_ms`: the median of the bare /healthz in the
    same loop, i.e. what any request costs here (WSGI, logging, the machine's load)."""
    times, bare = [], []
    for _ in range(runs + 1):
        started = time.perf_counter()
        response = client.get("/map")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        started = time.perf_counter()
        client.get("/healthz")
        bare.append((time.perf_counter() - started) * 1000)
    return {"first_ms": times[0], "p50_ms": statistics.median(times[1:]), "max_ms": max(times[1:]),
            "kb": len(response.data) / 1024, "healthz_ms": statistics.median(bare)}


def naive_page(app) -> tuple[float, int]:
    """What a first attempt looks like: every TPS as a folium.Marker in the page."""
    import folium

    started = time.perf_counter()
    with app.app_context():
        points = db.session.execute(select(Tps.code, Tps.lat, Tps.lon, Tps.status)).all()
        db.session.remove()
    fmap = folium.Map(location=[-2.13, 106.11], zoom_start=12)
    for code, lat, lon, status in points:
        folium.Marker([lat, lon], tooltip=f"{code} {status.value}").add_to(fmap)
    html = fmap.get_root().render()
    return time.perf_counter() - started, len(html.encode())


def viewport(lat: float, lon: float, zoom: int) -> str:
    import math

    deg_per_px = 360.0 / (256 * 2 ** zoom)
    half_w = VIEWPORT_PX[0] * deg_per_px / 2 * 1.2  # the page asks for its bounds padded by 10%
    half_h = VIEWPORT_PX[1] * deg_per_px * math.cos(math.radians(lat)) / 2 * 1.2
    return f"{lon - half_w:.5f},{lat - half_h:.5f},{lon + half_w:.5f},{lat + half_h:.5f}"


def _percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return times[len(times) // 2], times[max(0, int(len(times) * 0.95) - 1)]


def random_centres(app, count: int, rng: random.Random) -> list[tuple[float, float]]:
    with app.app_context():
        top = db.session.scalar(select(func.max(Tps.id)))
        centres = []
        while len(centres) < count:
            row = db.session.execute(select(Tps.lat, Tps.lon).where(Tps.id == rng.randint(1, top))).first()
            if row:
                centres.append(tuple(row))
        db.session.remove()
    return centres


def measure_endpoint(client, boxes: list[str], zoom: int) -> dict:
    """p50 / p95 (ms), mean features and mean KB of /map/data/tps.geojson over these boxes, cold (no ETag)."""
    client.get(f"/map/data/tps.geojson?bbox={boxes[0]}&zoom={zoom}")  # warm-up
    times, counts, sizes = [], [], []
    for box in boxes:
        started = time.perf_counter()
        response = client.get(f"/map/data/tps.geojson?bbox={box}&zoom={zoom}")
        times.append((time.perf_counter() - started) * 1000)
        body = response.get_json()
        counts.append(len(body["features"]))
        sizes.append(len(response.data) / 1024)
        if zoom < 10:
            assert body.get("aggregate"), "a zoomed-out answer must be grid cells"
    p50, p95 = _percentiles(times)
    return {"p50": p50, "p95": p95, "features": statistics.mean(counts), "kb": statistics.mean(sizes)}


def measure_grid(app, client, requests: int, rng: random.Random, zoom: int = 9) -> dict:
    """The zoomed-out layer (stored grid counts) over random 1366x768 viewports at `zoom`."""
    return measure_endpoint(client, [viewport(lat, lon, zoom) for lat, lon in random_centres(app, requests, rng)], zoom)


def measure_refresh(app, change_share: float = 0.01, rng: random.Random | None = None) -> dict:
    """The grid refresh (what `flask refresh-map-grid` and the worker run): a count from
    scratch (table emptied), then again after `change_share` of the TPS changed status (bulk UPDATE)."""
    from logistics.models import MapGridCell, MapGridState

    rng = rng or random.Random(7)
    with app.app_context():
        session = db.session
        session.query(MapGridCell).delete()
        session.query(MapGridState).delete()
        session.commit()
        started = time.perf_counter()
        first = map_grid.refresh(session)
        session.commit()
        first_s = time.perf_counter() - started
        top = session.scalar(select(func.max(Tps.id)))
        ids = rng.sample(range(1, top + 1), max(1, int(top * change_share)))
        election_id = active_election_id(session)  # raw SQL: only the active election's TPS change
        for start in range(0, len(ids), 5000):  # open <-> setup: no step times to keep consistent
            session.execute(text("UPDATE tps SET status = CASE WHEN status = 'setup' THEN 'open' ELSE 'setup' END"
                                 f" WHERE election_id = {election_id} AND status IN ('setup', 'open')"
                                 " AND id IN (" + ",".join(map(str, ids[start:start + 5000])) + ")"))
        bump(session, ["tps"])
        session.commit()
        started = time.perf_counter()
        again = map_grid.refresh(session)
        session.commit()
        again_s = time.perf_counter() - started
        session.remove()
    return {"first_s": first_s, "cells": first.cells, "again_s": again_s, "written": again.written,
            "changed_tps": len(ids)}


def measure_boundaries(client, bbox: str = "105.9,-2.4,106.4,-1.9", zooms=(8, 10, 12, 14)) -> list[dict]:
    """Size (KB) and features of /map/data/boundaries/<level>.geojson per zoom (the demo city's polygons)."""
    rows = []
    for level in ("kota", "kecamatan", "kelurahan"):
        for zoom in zooms:
            response = client.get(f"/map/data/boundaries/{level}.geojson?bbox={bbox}&zoom={zoom}")
            rows.append({"level": level, "zoom": zoom, "kb": len(response.data) / 1024,
                         "features": len(response.get_json()["features"])})
    return rows


def run_backend(name: str, url: str, sizes: list[int], args, naive: dict) -> list[dict]:
    print(f"\n== {name}: {url}", flush=True)
    reset(url)
    app = make_app(url)
    rng = random.Random(2025)
    results = []
    for n in sizes:
        load_s = add_tps(app, n, rng)
        started = time.perf_counter()
        with app.app_context(), UnitOfWork(db.session) as uow:  # the bulk COPY bypassed the unit of work: fill
            recompute_all(db.session)                          # tps_coverage as the command does, in one
            uow.commit()
            db.session.remove()
        coverage_s = time.perf_counter() - started
        refresh = measure_refresh(app, rng=rng)
        client = logged_in_client(app)
        page = measure_map_page(app, client, args.page_runs)
        detail = measure_endpoint(client, [viewport(lat, lon, 14) for lat, lon in random_centres(app, args.requests, rng)], 14)
        grid9 = measure_grid(app, client, args.requests, rng, zoom=9)
        centre = ((REGION[1] + REGION[3]) / 2, (REGION[0] + REGION[2]) / 2)
        grid6 = measure_endpoint(client, [viewport(*centre, 6)] * max(20, args.requests // 4), 6)
        if args.naive and n not in naive:
            measured = [(k, v[0]) for k, v in sorted(naive.items()) if isinstance(v, tuple)]
            expected = measured[-1][1] * n / measured[-1][0] if measured else 0.0  # linear in N
            if expected > args.naive_limit:
                naive[n] = f"not run (~{expected:.0f} s expected, linear from {measured[-1][0]:,})"
            else:
                naive[n] = naive_page(app)
        row = dict(backend=name, n=n, load_s=load_s, coverage_s=coverage_s, page=page, naive=naive.get(n),
                   detail=detail, grid9=grid9, grid6=grid6, refresh=refresh)
        results.append(row)
        print(format_row(row), flush=True)
    if args.boundaries:
        print("\n| DB | level | " + " | ".join(f"zoom {z}" for z in (8, 10, 12, 14)) + " |\n|---|---|---|---|---|---|")
        sizes_by_level: dict[str, list[str]] = {}
        for b in measure_boundaries(logged_in_client(app)):
            sizes_by_level.setdefault(b["level"], []).append(f"{b['kb']:.1f} KB ({b['features']})")
        for level, cells in sizes_by_level.items():
            print(f"| {name} | {level} | " + " | ".join(cells) + " |")
    return results


def format_row(r: dict) -> str:
    naive = r["naive"]
    naive_text = (f"{naive[0]:.2f} s, {naive[1] / 1024 / 1024:.1f} MB" if isinstance(naive, tuple)
                  else naive or "not run (--no-naive)")
    p, d, g9, g6, rf = r["page"], r["detail"], r["grid9"], r["grid6"], r["refresh"]
    return (f"| {r['backend']} | {r['n']:,} | {p['p50_ms']:.1f} / {p['max_ms']:.1f} ms (first {p['first_ms']:.0f}; /healthz {p['healthz_ms']:.1f}), "
            f"{p['kb']:.1f} KB | {naive_text} | "
            f"{d['p50']:.1f} / {d['p95']:.1f} ms ({d['features']:.0f} TPS) | "
            f"{g9['p50']:.1f} / {g9['p95']:.1f} ms ({g9['features']:.0f} cells) | "
            f"{g6['p50']:.1f} / {g6['p95']:.1f} ms ({g6['features']:.0f} cells, {g6['kb']:.0f} KB) | "
            f"{rf['first_s']:.2f} s ({rf['cells']:,} rows); {rf['again_s']:.2f} s ({rf['written']:,} written) | "
            f"{r['coverage_s']:.2f} s | {r['load_s']:.1f} s |")


HEADER = ("| DB | TPS | /map page: build p50 / slowest (first; bare /healthz), size | naive Folium (Marker per TPS): build, size | "
          "bbox endpoint zoom 14: p50 / p95 (mean features) | zoom 9 grid (stored): p50 / p95 (mean cells) | "
          "whole region, zoom 6: p50 / p95 | grid refresh: from scratch; after 1% of TPS changed | "
          "coverage recomputed | bulk insert |\n|---|---|---|---|---|---|---|---|---|---|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="400,10000,100000,820000")
    parser.add_argument("--sqlite", default="sqlite:////tmp/siaga-bench.db")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/siaga_bench")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--naive-limit", type=float, default=120.0)
    parser.add_argument("--no-naive", dest="naive", action="store_false")
    parser.add_argument("--page-runs", type=int, default=10)
    parser.add_argument("--no-boundaries", dest="boundaries", action="store_false")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    print(f"# map_scale {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · {platform.node()} · "
          f"{os.cpu_count()} CPUs · Python {platform.python_version()} · {platform.platform()}", flush=True)
    naive: dict = {}  # the naive page does not depend on the database: built once per size
    rows = []
    for backend in args.backends.split(","):
        url = args.sqlite if backend == "sqlite" else normalise_database_url(args.pg)
        rows += run_backend(backend, url, sizes, args, naive)
    print("\n" + HEADER)
    for row in rows:
        print(format_row(row))


if __name__ == "__main__":
    main()
