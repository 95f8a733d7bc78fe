"""Benchmark: does the live map scale with the number of TPS?

For synthetic cities of 400, 10,000, 100,000 and 820,000 TPS, on SQLite and on PostgreSQL:
  * the real /map page (Folium + self-hosted Leaflet; points NOT in the page): build time and size,
  * a naive Folium page with one folium.Marker per TPS, same data, same run (not run at a size where
    it would take longer than --naive-limit seconds, extrapolated linearly from the previous size),
  * the bounding-box endpoint /map/data/tps.geojson: p50 / p95 latency over random 1366x768
    viewports centred on random TPS at zoom 14 (detail) and zoom 9 (grid cells), cold (no ETag).

Synthetic TPS are spread uniformly over a 4.5 x 4.5 degree area (south Sumatra / Bangka), on top
of the Pangkalpinang demo; at 820,000 TPS that is ~3.3 TPS per km2, Pangkalpinang's own density.

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

from logistics.models import Kecamatan, Kelurahan, Kota, Tps  # noqa: E402
from logistics.services.coverage import recompute_all  # noqa: E402
from siaga import create_app  # noqa: E402
from siaga.config import normalise_database_url  # noqa: E402
from siaga.extensions import db  # noqa: E402
from siaga.seeding import seed_demo  # noqa: E402

REGION = (106.5, -5.75, 111.0, -1.25)  # min_lon, min_lat, max_lon, max_lat
PER_KELURAHAN, PER_KECAMATAN = 100, 10_000
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
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": False})
    with app.app_context():
        upgrade()
        seed_demo(db.session, demo_password=PASSWORD)
        db.session.remove()
    return app


def synthetic_area(session) -> tuple[int, list[int]]:
    """A synthetic kota (once); returns its id and the ids of its kelurahan so far."""
    kota = session.scalar(select(Kota).where(Kota.kode_kemendagri == "99.99"))
    if kota is None:
        square = {"type": "Polygon", "coordinates": [[[REGION[0], REGION[1]], [REGION[2], REGION[1]],
                                                      [REGION[2], REGION[3]], [REGION[0], REGION[3]],
                                                      [REGION[0], REGION[1]]]]}
        kota = Kota(kode_kemendagri="99.99", nama="Kota Sintetis", provinsi="Sintetis", boundary=square,
                    min_lon=REGION[0], min_lat=REGION[1], max_lon=REGION[2], max_lat=REGION[3],
                    label_lat=-3.5, label_lon=108.75)
        session.add(kota)
        session.flush()
    return kota.id, square_of(kota)


def square_of(area) -> dict:
    return dict(boundary=area.boundary, min_lon=area.min_lon, min_lat=area.min_lat, max_lon=area.max_lon,
                max_lat=area.max_lat, label_lat=area.label_lat, label_lon=area.label_lon)


def ensure_kelurahan(session, kota_id: int, geometry: dict, needed: int) -> list[int]:
    """At least `needed` synthetic kelurahan, 100 per synthetic kecamatan."""
    have = list(session.scalars(select(Kelurahan.id).join(Kecamatan).where(Kecamatan.kota_id == kota_id)
                                .order_by(Kelurahan.id)))
    kec_ids = list(session.scalars(select(Kecamatan.id).where(Kecamatan.kota_id == kota_id).order_by(Kecamatan.id)))
    per_kec = PER_KECAMATAN // PER_KELURAHAN
    while len(have) < needed:
        i = len(have)
        if i // per_kec >= len(kec_ids):
            kec = Kecamatan(kota_id=kota_id, kode_kemendagri=f"99.{len(kec_ids):03d}", nama=f"Kec Sintetis {len(kec_ids)}",
                            **geometry)
            session.add(kec)
            session.flush()
            kec_ids.append(kec.id)
        kel = Kelurahan(kecamatan_id=kec_ids[i // per_kec], kode_kemendagri=f"99.{i // per_kec:03d}.{i % per_kec:04d}",
                        nama=f"Kel Sintetis {i}", **geometry)
        session.add(kel)
        session.flush()
        have.append(kel.id)
    session.commit()
    return have


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
        kota_id, geometry = synthetic_area(session)
        kelurahan = ensure_kelurahan(session, kota_id, geometry, (synthetic + todo) // PER_KELURAHAN + 1)
        now = datetime.now(timezone.utc)
        rows = []
        for i in range(synthetic, synthetic + todo):
            rows.append((f"SYN-{i:08d}", kelurahan[i // PER_KELURAHAN], i % PER_KELURAHAN + 1, "regular",
                         f"Jl. Sintetis {i}", rng.uniform(REGION[1], REGION[3]), rng.uniform(REGION[0], REGION[2]),
                         True, rng.randint(150, 600), rng.choice(STATUSES), now, now))
        columns = "code, kelurahan_id, number, kind, address, lat, lon, position_synthetic, dpt, status, created_at, updated_at"
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
                    for r in rows]
            raw = db.engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.execute("BEGIN")
                for start in range(0, len(rows), 50_000):
                    cur.executemany(f"INSERT INTO tps ({columns}) VALUES ({', '.join('?' * 12)})",
                                    rows[start:start + 50_000])
                cur.execute("COMMIT")
                cur.execute("ANALYZE")
            finally:
                raw.close()
        session.remove()
    return time.perf_counter() - started


def logged_in_client(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "koordinator", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def page_figures(client, runs: int = 3) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get("/map")
        times.append(time.perf_counter() - started)
        size = len(response.data)
    return statistics.median(times), size


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


def endpoint_latency(app, client, zoom: int, requests: int, rng: random.Random) -> tuple[float, float, float]:
    """p50, p95 (ms) and mean features per answer, over random viewports centred on random TPS."""
    with app.app_context():
        top = db.session.scalar(select(func.max(Tps.id)))
        centres = []
        while len(centres) < requests:
            row = db.session.execute(select(Tps.lat, Tps.lon).where(Tps.id == rng.randint(1, top))).first()
            if row:
                centres.append(row)
        db.session.remove()
    client.get(f"/map/data/tps.geojson?bbox={viewport(*centres[0], zoom)}&zoom={zoom}")  # warm-up
    times, counts = [], []
    for lat, lon in centres:
        url = f"/map/data/tps.geojson?bbox={viewport(lat, lon, zoom)}&zoom={zoom}"
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        counts.append(len(response.get_json()["features"]))
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.95) - 1], statistics.mean(counts)


def run_backend(name: str, url: str, sizes: list[int], args, naive: dict) -> list[dict]:
    print(f"\n== {name}: {url}", flush=True)
    reset(url)
    app = make_app(url)
    rng = random.Random(2025)
    results = []
    for n in sizes:
        load_s = add_tps(app, n, rng)
        started = time.perf_counter()
        with app.app_context():  # the bulk COPY bypassed the unit of work: fill tps_coverage as the command does
            recompute_all(db.session)
            db.session.commit()
            db.session.remove()
        coverage_s = time.perf_counter() - started
        client = logged_in_client(app)
        started = time.perf_counter()
        client.get(f"/map/data/tps.geojson?bbox={viewport(-2.13, 106.11, 14)}&zoom=14")
        first_request_s = time.perf_counter() - started
        page_s, page_size = page_figures(client)
        d50, d95, dn = endpoint_latency(app, client, 14, args.requests, rng)
        g50, g95, gn = endpoint_latency(app, client, 9, max(20, args.requests // 4), rng)
        if args.naive and n not in naive:
            measured = [(k, v[0]) for k, v in sorted(naive.items()) if isinstance(v, tuple)]
            expected = measured[-1][1] * n / measured[-1][0] if measured else 0.0  # linear in N
            if expected > args.naive_limit:
                naive[n] = f"not run (~{expected:.0f} s expected, linear from {measured[-1][0]:,})"
            else:
                naive[n] = naive_page(app)
        row = dict(backend=name, n=n, load_s=load_s, coverage_s=coverage_s, first_s=first_request_s, page_s=page_s, page_kb=page_size / 1024,
                   naive=naive.get(n), d50=d50, d95=d95, dn=dn, g50=g50, g95=g95, gn=gn)
        results.append(row)
        print(format_row(row, args.naive_limit), flush=True)
    return results


def format_row(r: dict, limit: float) -> str:
    naive = r["naive"]
    naive_text = (f"{naive[0]:.2f} s, {naive[1] / 1024 / 1024:.1f} MB" if isinstance(naive, tuple)
                  else naive or "not run (--no-naive)")
    return (f"| {r['backend']} | {r['n']:,} | {r['page_s'] * 1000:.0f} ms, {r['page_kb']:.0f} KB | {naive_text} | "
            f"{r['d50']:.1f} / {r['d95']:.1f} ms ({r['dn']:.0f} TPS) | {r['g50']:.1f} / {r['g95']:.1f} ms ({r['gn']:.0f} cells) | "
            f"{r['coverage_s']:.2f} s ({r['first_s']:.2f} s) | {r['load_s']:.1f} s |")


HEADER = ("| DB | TPS | /map page: build, size | naive Folium (Marker per TPS): build, size | "
          "bbox endpoint zoom 14: p50 / p95 (mean features) | zoom 9 grid: p50 / p95 (mean cells) | "
          "coverage recomputed (then first request) | bulk insert |\n|---|---|---|---|---|---|---|---|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="400,10000,100000,820000")
    parser.add_argument("--sqlite", default="sqlite:////tmp/siaga-bench.db")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/siaga_bench")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--naive-limit", type=float, default=120.0)
    parser.add_argument("--no-naive", dest="naive", action="store_false")
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
        print(format_row(row, args.naive_limit))


if __name__ == "__main__":
    main()
