"""Generate the synthetic TPS list of the Pangkalpinang demo: `python seed_data/generate_tps.py`.

TPS positions and per-TPS voter counts are not public, so they are made up here, deterministically
(the same file every run): 315 regular TPS spread over the 42 kelurahan (a share by count plus a
share by the square root of area, at least 3 each), and 4 special-location TPS in prisons. Each point
lies at least ~30 m inside its own kelurahan and in no neighbouring polygon (the source polygons overlap
slightly). Voter counts (DPT) sum to the official 169,016, with at most 600 per TPS as KPU rules set.
Every row is marked `synthetic=1`.
"""
from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path

from shapely.geometry import Point, shape
from shapely.prepared import prep

HERE = Path(__file__).resolve().parent
OUT = HERE / "tps_pangkalpinang_synthetic.csv"
REGULAR_TPS = 315
TOTAL_DPT = 169_016
MAX_DPT = 600
INSET_DEG = 0.0003  # ~33 m: keeps points off the (simplified, slightly overlapping) borders
MIN_SPACING_M = 90
# Special-location TPS (prisons). Names are generic on purpose: synthetic, not the real institutions.
SPECIAL = [
    ("19.71.06.1001", "Lembaga Pemasyarakatan A (lokasi sintetis)", 318),
    ("19.71.05.1005", "Lembaga Pemasyarakatan B (lokasi sintetis)", 205),
    ("19.71.01.1009", "Rumah Tahanan Negara (lokasi sintetis)", 146),
    ("19.71.06.1006", "Lembaga Pembinaan Khusus Anak (lokasi sintetis)", 92),
]
FIELDS = ["code", "kelurahan_kode", "number", "kind", "special_location", "address", "lat", "lon", "dpt", "synthetic"]


def allocate(kelurahan: list[dict]) -> dict[str, int]:
    """Largest-remainder split of the regular TPS: half by count, half by sqrt(area); minimum 3."""
    roots = [math.sqrt(k["luas_km2"]) for k in kelurahan]
    weights = [0.5 / len(kelurahan) + 0.5 * r / sum(roots) for r in roots]
    spare = REGULAR_TPS - 3 * len(kelurahan)
    raw = [w * spare for w in weights]
    counts = [3 + int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - int(raw[i])), kelurahan[i]["kode_kemendagri"]))
    for i in order[: REGULAR_TPS - sum(counts)]:
        counts[i] += 1
    return {k["kode_kemendagri"]: c for k, c in zip(kelurahan, counts)}


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def place_points(kode: str, polygon, others, n: int) -> list[tuple[float, float]]:
    rng = random.Random(f"siaga-tps-{kode}")
    inner = polygon.buffer(-INSET_DEG)
    if inner.is_empty:
        inner = polygon
    inner_p, others_p = prep(inner), [prep(o) for o in others]
    min_lon, min_lat, max_lon, max_lat = inner.bounds
    points: list[tuple[float, float]] = []
    spacing, tries = MIN_SPACING_M, 0
    while len(points) < n:
        tries += 1
        if tries % 5000 == 0:
            spacing *= 0.7  # a small kelurahan with many TPS: let them sit closer
        lat = round(rng.uniform(min_lat, max_lat), 6)
        lon = round(rng.uniform(min_lon, max_lon), 6)
        p = Point(lon, lat)
        if not inner_p.contains(p) or any(o.contains(p) for o in others_p):
            continue
        if all(metres((lat, lon), q) >= spacing for q in points):
            points.append((lat, lon))
    return points


def voter_counts(n_regular: int, special_total: int) -> list[int]:
    rng = random.Random("siaga-dpt")
    counts = [rng.randint(470, MAX_DPT) for _ in range(n_regular)]
    target = TOTAL_DPT - special_total
    i = 0
    while sum(counts) != target:  # nudge one voter at a time, round-robin, within 300..600
        step = 1 if sum(counts) < target else -1
        if 300 <= counts[i] + step <= MAX_DPT:
            counts[i] += step
        i = (i + 1) % n_regular
    return counts


def generate() -> list[dict]:
    features = json.loads((HERE / "pangkalpinang_kelurahan.geojson").read_text())["features"]
    features.sort(key=lambda f: f["properties"]["kode_kemendagri"])
    props = [f["properties"] for f in features]
    shapes = {p["kode_kemendagri"]: shape(f["geometry"]) for p, f in zip(props, features)}
    counts = allocate(props)
    specials = {kode: [] for kode in shapes}
    for kode, name, dpt in SPECIAL:
        specials[kode].append((name, dpt))
    dpt_regular = iter(voter_counts(REGULAR_TPS, sum(d for _, _, d in SPECIAL)))
    rows = []
    for p in props:
        kode = p["kode_kemendagri"]
        others = [s for k, s in shapes.items() if k != kode and s.intersects(shapes[kode].envelope)]
        n_special = len(specials[kode])
        points = place_points(kode, shapes[kode], others, counts[kode] + n_special)
        for number, (lat, lon) in enumerate(points, start=1):
            special = number > counts[kode]
            name, dpt = specials[kode][number - counts[kode] - 1] if special else (None, next(dpt_regular))
            rows.append({
                "code": f"{kode}-{number:03d}", "kelurahan_kode": kode, "number": number,
                "kind": "special" if special else "regular", "special_location": name or "",
                "address": f"Kel. {p['nama']}, Kec. {p['kecamatan']} (alamat sintetis)",
                "lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "dpt": dpt, "synthetic": 1,
            })
    return rows


def main() -> None:
    rows = generate()
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} TPS, {sum(int(r['dpt']) for r in rows)} voters to {OUT.name}")


if __name__ == "__main__":
    main()
