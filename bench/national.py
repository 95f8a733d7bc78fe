"""Benchmark: the coordinators' views at national scale, on PostgreSQL.

Builds Indonesia on top of the Pangkalpinang demo (`--reuse` keeps a database already built) from the REAL
national area list shipped with Siaga (seed_data/national/wilayah.csv.gz via logistics/area_list.py): every
province's kab/kota, kecamatan and desa/kelurahan with its Kemendagri code, name, kind and its zone (WIB, WITA,
WIT from logistics/rules/time_zones.py), minus the demo's own kota (~513 kab/kota, ~7,270 kecamatan, ~83,700
villages). What the list lacks is synthetic and flagged so: each area's outline (a grid cell, west to east in
code order), the TPS (820,319 by default, `--tps N` for a quicker run, spread over the villages in proportion,
a kelurahan weighing three desa; code `<village>-N001`, position_synthetic), 5.7 M KPPS officers plus couriers
and medics, a medic station per kecamatan with its roster, 3.28 M meal deliveries (four rounds per TPS at
06:00, 11:30, 15:00, 18:00 in the TPS's own zone) and 50,000 incidents, in SQL (INSERT ... SELECT, one
statement per table; no ORM). The day is 27 Aug 2025 (the default ELECTION_DATE) and the clock is frozen at
14:00 WIB (ELECTION_CLOCK), so the figures do not depend on when the benchmark runs. Then it measures, with
the Flask test client, every figure of issue 14 against its target and prints one table (docs/PERFORMANCE.md,
"National scale").

Usage:  .venv/bin/python bench/national.py [--pg postgresql://postgres@127.0.0.1:5432/siaga_national]
          [--reuse] [--build-only] [--runs 20] [--tps 820319] [--no-export]
Benchmarks are not tests: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SIAGA_ENV", "development")

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402

from bench.election_rows import active_election_id  # noqa: E402
from siaga import create_app  # noqa: E402
from siaga.extensions import db  # noqa: E402

N_TPS, N_INCIDENTS = 820_319, 50_000
PASSWORD = "bench-password"
CLOCK = "2025-08-27T14:00:00+07:00"  # the frozen election-day clock of the measurements
ELECTION_DAY = "2025-08-27"
# No outlines ship with the area list, so every kab/kota gets a synthetic cell in Indonesia's bounding box:
# a grid of 26 columns x 20 rows filled column by column in code order (Aceh 11 in the west ... Papua 9x in
# the east, so the zones run west to east as on the real map), each cut into a square-ish grid of its
# kecamatan and those into their desa/kelurahan. The areas' codes, names, kinds and zones are the real ones.
LON0, LAT0, GRID_COLS, GRID_ROWS = 95.0, -11.0, 26, 20
KOTA_W, KOTA_H = 46.0 / GRID_COLS, 17.0 / GRID_ROWS
# Synthetic TPS per village, in proportion to a weight: an (urban) kelurahan 3, a desa 1 (the list has no
# population; Indonesia's kelurahan hold about three times a desa's voters). TPS codes are the village's code
# and "-N" + the number (`11.01.01.2001-N001`), and position_synthetic is set: synthetic, never mistaken for
# a real TPS. Everything the bench adds (areas, TPS, people, stations) lies outside the demo's kota.
KELURAHAN_WEIGHT = 3
NATIONAL_TPS = "t.code LIKE '%-N%'"

# Each statement is one INSERT ... SELECT from the national list (staged in a temporary table, `area_src`,
# with `zone_tz`: province code -> IANA zone) or from what the statements before it made.
BUILD = [
    ("kota", f"""
     INSERT INTO kota (kode_kemendagri, nama, jenis, provinsi, boundary, min_lon, min_lat, max_lon, max_lat,
                       label_lat, label_lon)
     SELECT s.kode, s.nama, s.jenis, p.nama,
            json_build_object('type', 'Polygon', 'coordinates', json_build_array(json_build_array(
              json_build_array(x, y), json_build_array(x + {KOTA_W}, y), json_build_array(x + {KOTA_W}, y + {KOTA_H}),
              json_build_array(x, y + {KOTA_H}), json_build_array(x, y)))),
            x, y, x + {KOTA_W}, y + {KOTA_H}, y + {KOTA_H} / 2, x + {KOTA_W} / 2
     FROM (SELECT a.*, {LON0} + ((g - 1) / {GRID_ROWS}) * {KOTA_W} AS x, {LAT0} + ((g - 1) % {GRID_ROWS}) * {KOTA_H} AS y
           FROM (SELECT *, row_number() OVER (ORDER BY kode) AS g FROM area_src WHERE level = 'kab_kota') a) s
     JOIN area_src p ON p.kode = s.parent"""),
    ("kecamatan", """
     INSERT INTO kecamatan (kota_id, kode_kemendagri, nama, boundary, min_lon, min_lat, max_lon, max_lat,
                            label_lat, label_lon)
     SELECT kota_id, kode, nama,
            json_build_object('type', 'Polygon', 'coordinates', json_build_array(json_build_array(
              json_build_array(x, y), json_build_array(x + w, y), json_build_array(x + w, y + h),
              json_build_array(x, y + h), json_build_array(x, y)))),
            x, y, x + w, y + h, y + h / 2, x + w / 2
     FROM (SELECT b.kode, b.nama, b.kota_id, b.w, b.h, b.x0 + (b.i % b.side) * b.w AS x, b.y0 + (b.i / b.side) * b.h AS y
           FROM (SELECT a.kode, a.nama, k.id AS kota_id, k.min_lon AS x0, k.min_lat AS y0,
                        (row_number() OVER (PARTITION BY a.parent ORDER BY a.kode) - 1) AS i,
                        ceil(sqrt(count(*) OVER (PARTITION BY a.parent)))::int AS side,
                        (k.max_lon - k.min_lon) / ceil(sqrt(count(*) OVER (PARTITION BY a.parent))) AS w,
                        (k.max_lat - k.min_lat) / ceil(sqrt(count(*) OVER (PARTITION BY a.parent))) AS h
                 FROM area_src a JOIN kota k ON k.kode_kemendagri = a.parent WHERE a.level = 'kecamatan') b) s"""),
    ("kelurahan", """
     INSERT INTO kelurahan (kecamatan_id, kode_kemendagri, nama, jenis, boundary, min_lon, min_lat, max_lon,
                            max_lat, label_lat, label_lon)
     SELECT kecamatan_id, kode, nama, jenis,
            json_build_object('type', 'Polygon', 'coordinates', json_build_array(json_build_array(
              json_build_array(x, y), json_build_array(x + w, y), json_build_array(x + w, y + h),
              json_build_array(x, y + h), json_build_array(x, y)))),
            x, y, x + w, y + h, y + h / 2, x + w / 2
     FROM (SELECT b.kode, b.nama, b.jenis, b.kecamatan_id, b.w, b.h, b.x0 + (b.i % b.side) * b.w AS x,
                  b.y0 + (b.i / b.side) * b.h AS y
           FROM (SELECT a.kode, a.nama, a.jenis, k.id AS kecamatan_id, k.min_lon AS x0, k.min_lat AS y0,
                        (row_number() OVER (PARTITION BY a.parent ORDER BY a.kode) - 1) AS i,
                        ceil(sqrt(count(*) OVER (PARTITION BY a.parent)))::int AS side,
                        (k.max_lon - k.min_lon) / ceil(sqrt(count(*) OVER (PARTITION BY a.parent))) AS w,
                        (k.max_lat - k.min_lat) / ceil(sqrt(count(*) OVER (PARTITION BY a.parent))) AS h
                 FROM area_src a JOIN kecamatan k ON k.kode_kemendagri = a.parent
                 WHERE a.level = 'desa_kelurahan') b) s"""),
    # At 14:00 WIB (15:00 WITA, 16:00 WIT): voting closed at 13:00 local, most TPS are counting; 1 % never
    # opened; 2 % below quorum. Step times are the TPS's local clock (opened from 07:00, closed 13:00).
    # `n` TPS in each village: the cumulative weight cut at N_TPS (floor of the running share), so the total
    # is exactly N_TPS; `t` numbers them 1..N_TPS across the nation for the spread of states.
    ("tps", """
     INSERT INTO tps (code, kelurahan_id, number, kind, address, lat, lon, position_synthetic, dpt, status,
                      officers_present, officers_reported_at, opened_at, voting_closed_at, counted_at,
                      handed_over_at, created_at, updated_at, election_id)
     SELECT v.kode_kemendagri || '-N' || lpad(num::text, 3, '0'), v.id, num, 'regular', 'Jl. Nasional ' || t,
            v.min_lat + random() * (v.max_lat - v.min_lat), v.min_lon + random() * (v.max_lon - v.min_lon),
            true, 150 + (t::bigint * 7919) % 450, st,
            CASE WHEN t % 50 = 0 THEN 3 ELSE 5 + t % 3 END, '2025-08-26 23:30+00',
            CASE WHEN st <> 'setup' THEN (day + time '07:00') AT TIME ZONE v.tz + (t % 20) * interval '1 minute' END,
            CASE WHEN st IN ('voting_closed', 'counted', 'handed_over') THEN (day + time '13:00') AT TIME ZONE v.tz END,
            CASE WHEN st IN ('counted', 'handed_over') THEN (day + time '13:45') AT TIME ZONE v.tz END,
            CASE WHEN st = 'handed_over' THEN (day + time '13:55') AT TIME ZONE v.tz END,
            now(), now(), :election_id
     FROM (SELECT a.*, floor((cum - w) * :n_tps / total)::bigint AS before,
                  (floor(cum * :n_tps / total) - floor((cum - w) * :n_tps / total))::int AS n
           FROM (SELECT kel.id, kel.kode_kemendagri, kel.min_lat, kel.max_lat, kel.min_lon, kel.max_lon, z.tz,
                        CASE WHEN kel.jenis = 'kelurahan' THEN {w} ELSE 1 END::numeric AS w,
                        sum(CASE WHEN kel.jenis = 'kelurahan' THEN {w} ELSE 1 END) OVER (ORDER BY kel.id)::numeric AS cum,
                        sum(CASE WHEN kel.jenis = 'kelurahan' THEN {w} ELSE 1 END) OVER ()::numeric AS total
                 FROM kelurahan kel JOIN area_src s ON s.kode = kel.kode_kemendagri
                 JOIN zone_tz z ON z.prov = left(kel.kode_kemendagri, 2)) a) v
     CROSS JOIN LATERAL generate_series(1, v.n) num
     CROSS JOIN LATERAL (SELECT v.before + num AS t, date '{day}' AS day) tt
     CROSS JOIN LATERAL (SELECT CASE WHEN t % 100 = 7 THEN 'setup' WHEN t % 5 = 0 THEN 'open' WHEN t % 5 = 1 THEN 'counted'
                       WHEN t % 97 = 3 THEN 'handed_over' ELSE 'voting_closed' END AS st) s
     """.replace("{w}", str(KELURAHAN_WEIGHT)).replace("{day}", ELECTION_DAY)),
    ("medic_station", """
     INSERT INTO medic_station (code, name, kecamatan_id, lat, lon, ambulances, hours_from, hours_to, created_at,
                                updated_at, election_id)
     SELECT 'N-POS-' || k.id, 'Pos Kesehatan ' || k.nama, k.id, k.label_lat, k.label_lon, 1, time '05:30', time '03:00',
            now(), now(), :election_id
     FROM kecamatan k JOIN area_src s ON s.kode = k.kode_kemendagri
     UNION ALL
     SELECT 'N-POS-X', 'Pos Kesehatan Tambahan', k.id, k.label_lat + 0.01, k.label_lon, 2, time '05:30', time '03:00', now(), now(),
            :election_id
     FROM (SELECT k.id, label_lat, label_lon FROM kecamatan k JOIN area_src s ON s.kode = k.kode_kemendagri
           ORDER BY k.id LIMIT 1) k"""),
    # Seven KPPS per TPS (ketua + six anggota), a courier per ten TPS, three medics per station.
    ("person", f"""
     INSERT INTO person (code, name, role, phone, active, tps_id, created_at, updated_at, election_id)
     SELECT 'N-' || t.id || '-' || r, 'Petugas ' || t.code || '-' || r,
            CASE WHEN r = 1 THEN 'kpps_ketua' ELSE 'kpps_anggota' END, '0812' || lpad((t.id % 100000000)::text, 8, '0'),
            true, t.id, now(), now(), :election_id
     FROM tps t CROSS JOIN generate_series(1, 7) r WHERE {NATIONAL_TPS}
     UNION ALL
     SELECT 'N-KURIR-' || t.id, 'Kurir ' || t.id, 'courier', NULL, true, NULL, now(), now(), :election_id
     FROM tps t WHERE {NATIONAL_TPS} AND t.id % 10 = 0
     UNION ALL
     SELECT 'N-MEDIS-' || m.id || '-' || r, 'Medis ' || m.id || '-' || r, 'medic', NULL, true, NULL, now(), now(), :election_id
     FROM medic_station m CROSS JOIN generate_series(1, 3) r WHERE m.code LIKE 'N-POS-%'"""),
    ("person (medics' stations)", """
     UPDATE person p SET medic_station_id = m.id, kecamatan_id = m.kecamatan_id
     FROM medic_station m WHERE split_part(p.code, '-', 3) = m.id::text AND p.role = 'medic'
       AND m.code LIKE 'N-POS-%' AND p.code LIKE 'N-MEDIS-%'"""),
    # Three shifts a station (as the demo's); 5 % of the stations have nobody on the afternoon shift.
    ("roster_shift", """
     INSERT INTO roster_shift (medic_station_id, person_id, starts_at, ends_at, created_at, updated_at, election_id)
     SELECT p.medic_station_id, p.id,
            CASE r WHEN 1 THEN timestamptz '2025-08-26 22:30+00' WHEN 2 THEN timestamptz '2025-08-27 05:40+00'
                   ELSE timestamptz '2025-08-27 12:50+00' END,
            CASE r WHEN 1 THEN timestamptz '2025-08-27 05:40+00' WHEN 2 THEN timestamptz '2025-08-27 12:50+00'
                   ELSE timestamptz '2025-08-27 20:00+00' END, now(), now(), :election_id
     FROM (SELECT id, medic_station_id, split_part(code, '-', 4)::int AS r FROM person
           WHERE role = 'medic' AND code LIKE 'N-MEDIS-%') p
     WHERE NOT (p.r = 2 AND p.medic_station_id % 20 = 0)"""),
    # Four meal rounds per TPS (pagi 06:00, siang 11:30, snack 15:00, malam 18:00 in the TPS's own zone); at
    # 14:00 WIB most of the morning's and noon's are delivered, some late or short, the afternoon's still planned.
    ("delivery", f"""
     INSERT INTO delivery (ref, tps_id, kind, meal_round, unit, quantity_planned, planned_at, status, dispatched_at,
                           arrived_at, delivered_at, failed_at, quantity_received, received_by, failure_reason,
                           eta_at, created_at, updated_at, election_id)
     SELECT 'N-' || t.id || '-' || r.round, t.id, 'meal', r.round, 'porsi', 9, pl.planned_at, st,
            CASE WHEN st <> 'planned' THEN pl.planned_at - interval '40 minutes' END,
            CASE WHEN st IN ('arrived', 'delivered', 'failed') THEN pl.planned_at - interval '5 minutes' END,
            CASE WHEN st = 'delivered' THEN pl.planned_at END,
            CASE WHEN st = 'failed' THEN pl.planned_at + interval '20 minutes' END,
            CASE WHEN st = 'delivered' THEN CASE WHEN t.id % 33 = 0 THEN 7 ELSE 9 END END,
            CASE WHEN st = 'delivered' THEN 'Ketua KPPS' END,
            CASE WHEN st = 'failed' THEN 'Jalan tertutup' END,
            CASE WHEN st IN ('planned', 'dispatched') AND t.id % 9 = 0 THEN pl.planned_at + interval '25 minutes' END,
            now(), now(), :election_id
     FROM tps t
     JOIN kelurahan kel ON kel.id = t.kelurahan_id
     JOIN zone_tz z ON z.prov = left(kel.kode_kemendagri, 2)
     CROSS JOIN (VALUES ('pagi', time '06:00', 1), ('siang', time '11:30', 2), ('snack', time '15:00', 3),
                        ('malam', time '18:00', 4)) AS r(round, local_at, n)
     CROSS JOIN LATERAL (SELECT (date '{ELECTION_DAY}' + r.local_at) AT TIME ZONE z.tz AS planned_at) pl
     CROSS JOIN LATERAL (SELECT CASE
            WHEN r.n >= 3 THEN CASE WHEN t.id % 4 = 0 THEN 'dispatched' ELSE 'planned' END
            WHEN (t.id + r.n) % 50 = 0 THEN 'planned'
            WHEN (t.id + r.n) % 61 = 0 THEN 'failed'
            WHEN r.n = 2 AND t.id % 23 = 0 THEN 'arrived'
            ELSE 'delivered' END AS st) s
     WHERE {NATIONAL_TPS}"""),
    # 50,000 incidents through the day at random synthetic TPS (their ids run on from the first one's); the
    # open ones (reported, responding, treated) are 40 %.
    ("health_incident", f"""
     INSERT INTO health_incident (occurred_at, tps_id, patient_kind, complaint, triage, status, medic_station_id,
                                  reported_at, responding_at, treated_at, referred_at, closed_at, created_at, updated_at,
                                  election_id)
     SELECT at, tps_id, 'voter', 'Pusing', triage, st, station, at,
            CASE WHEN st <> 'reported' THEN at + interval '5 minutes' END,
            CASE WHEN st IN ('treated_on_site', 'referred', 'closed') THEN at + interval '20 minutes' END,
            CASE WHEN st = 'referred' THEN at + interval '30 minutes' END,
            CASE WHEN st = 'closed' THEN at + interval '40 minutes' END, now(), now(), :election_id
     FROM (SELECT i, t.id AS tps_id, m.id AS station,
                  timestamptz '2025-08-26 23:00+00' + (i % 420) * interval '1 minute' AS at,
                  CASE WHEN i % 20 = 0 THEN 'merah' WHEN i % 5 = 0 THEN 'kuning' WHEN i % 97 = 0 THEN 'hitam'
                       ELSE 'hijau' END AS triage,
                  CASE WHEN i % 10 < 6 THEN 'closed' WHEN i % 10 = 6 THEN 'reported' WHEN i % 10 = 7 THEN 'responding'
                       WHEN i % 10 = 8 THEN 'treated_on_site' ELSE 'referred' END AS st
           FROM generate_series(1, {N_INCIDENTS}) i
           CROSS JOIN (SELECT min(t.id) AS first, count(*) AS n FROM tps t WHERE {NATIONAL_TPS}) f
           JOIN tps t ON t.id = f.first + (i::bigint * 15485863) % f.n
           JOIN kelurahan kel ON kel.id = t.kelurahan_id
           JOIN medic_station m ON m.kecamatan_id = kel.kecamatan_id AND m.code LIKE 'N-POS-%' AND m.code <> 'N-POS-X') s"""),
]


def pg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def make_app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "TESTING": False,
                       "ELECTION_CLOCK": CLOCK})


def built(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM health_incident WHERE tps_id IN "
                                     f"(SELECT id FROM tps t WHERE {NATIONAL_TPS})")).scalar() >= N_INCIDENTS
    except Exception:
        return False
    finally:
        engine.dispose()


def stage_area_list(conn) -> None:
    """The national list (logistics/area_list.py) in a temporary table `area_src` (kode, nama, level, jenis,
    parent), without the kab/kota the demo already holds and anything under them, and `zone_tz` (province
    code -> IANA zone, logistics/rules/time_zones.py): what the BUILD statements read."""
    from logistics.area_list import area_list
    from logistics.rules.time_zones import PROVINCE_ZONE

    demo = {kode for (kode,) in conn.execute(text("SELECT kode_kemendagri FROM kota"))}
    conn.execute(text("CREATE TEMPORARY TABLE area_src (kode text PRIMARY KEY, nama text, level text, jenis text, "
                      "parent text) ON COMMIT DROP"))
    conn.execute(text("CREATE TEMPORARY TABLE zone_tz (prov text PRIMARY KEY, tz text) ON COMMIT DROP"))
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy("COPY area_src (kode, nama, level, jenis, parent) FROM STDIN") as copy:
        for area in area_list().by_code.values():
            if not any(area.kode == d or area.kode.startswith(d + ".") for d in demo):
                copy.write_row((area.kode, area.nama, area.level, area.jenis, area.parent))
    with cursor.copy("COPY zone_tz (prov, tz) FROM STDIN") as copy:
        for prov, zone in PROVINCE_ZONE.items():
            copy.write_row((prov, zone.tz.key))
    conn.execute(text("ANALYZE area_src"))


def build(url: str, n_tps: int = N_TPS) -> dict[str, float]:
    """A fresh schema, the demo city, then the nation from the area list in SQL, then coverage (as
    recompute-coverage does)."""
    from logistics.services.coverage import recompute_all
    from siaga.seeding import seed_demo

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    app = make_app(url)
    seconds: dict[str, float] = {}
    with app.app_context():
        upgrade()
        seed_demo(db.session, demo_password=PASSWORD)
        db.session.remove()
    with engine.begin() as conn:
        stage_area_list(conn)
        params = {"n_tps": n_tps, "election_id": active_election_id(conn)}  # raw SQL: name the election
        for table, sql in BUILD:
            started = time.perf_counter()
            n = conn.execute(text(sql), {k: v for k, v in params.items() if f":{k}" in sql}).rowcount
            seconds[table] = time.perf_counter() - started
            print(f"  {table}: {n:,} rows, {seconds[table]:.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    started = time.perf_counter()
    from logistics.services.unit_of_work import UnitOfWork

    with app.app_context():
        with UnitOfWork(db.session) as uow:  # the rows and their data version
            recompute_all(db.session)
            uow.commit()
        db.session.remove()
    seconds["tps_coverage"] = time.perf_counter() - started
    engine.dispose()
    return seconds


# --- measuring -----------------------------------------------------------------------------------------

def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(round(len(ordered) * 0.95)) - 1)]


class Statements:
    """Counts SQL statements sent by this process (all connections)."""

    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._one)

    def _one(self, *args, **kwargs):
        self.n += 1


def client_for(app, username: str):
    from logistics.models import User
    from siaga.auth import new_session_values

    client = app.test_client()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        values = new_session_values(user)
        db.session.remove()
    with client.session_transaction() as s:
        s.update(values)
    return client


def national_kota():
    """The kab/kota the bench built: all but the demo's (seeded first, the lowest id)."""
    from sqlalchemy import func

    from logistics.models import Kota

    return select(Kota.id).where(Kota.id > select(func.min(Kota.id)).scalar_subquery())


def kecamatan_coordinator(app) -> str:
    """A coordinator of one synthetic kecamatan (made once), for the kecamatan dashboard."""
    from logistics.models import Kecamatan, Role, User
    from logistics.services.accounts import hash_password

    with app.app_context():
        if db.session.scalar(select(User.id).where(User.username == "camat-nasional")) is None:
            kec = db.session.scalar(select(Kecamatan.id).where(Kecamatan.kota_id.in_(national_kota()))
                                    .order_by(Kecamatan.id).offset(3500).limit(1))
            db.session.add(User(username="camat-nasional", full_name="Camat Nasional", role=Role.COORDINATOR,
                                kecamatan_id=kec, password_hash=hash_password(PASSWORD)))
            db.session.commit()
        db.session.remove()
    return "camat-nasional"


def timed_get(client, url: str, statements: Statements | None = None) -> tuple[float, int, int, int]:
    """(seconds, bytes, statements, status) of one GET."""
    before = statements.n if statements else 0
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    return elapsed, len(response.data), (statements.n - before) if statements else 0, response.status_code


def view_figures(app, client, url: str, runs: int, statements: Statements) -> dict:
    """Cold (computed in the request, sharing off) and shared (what a stream of requests sees)."""
    app.config["FIGURES_SHARE_S"] = 0
    cold = [timed_get(client, url, statements) for _ in range(max(3, runs // 4))]
    app.config["FIGURES_SHARE_S"] = 15
    from siaga.shared_figures import forget

    with app.app_context():
        forget()
    timed_get(client, url)  # fills the stored figures (figure_snapshot)
    warm = [timed_get(client, url, statements) for _ in range(runs)]
    assert all(r[3] == 200 for r in cold + warm), [r[3] for r in cold + warm]
    return {"cold_p50": statistics.median(r[0] for r in cold), "cold_p95": p95([r[0] for r in cold]),
            "warm_p50": statistics.median(r[0] for r in warm), "warm_p95": p95([r[0] for r in warm]), "bytes": warm[-1][1], "cold_sql": cold[-1][2], "warm_sql": warm[-1][2]}


def alerts_figures(app) -> dict:
    from logistics.queries.alerts import alert_counts, collect_alerts
    from siaga.election import election_now, election_window

    with app.app_context():
        now, (start, end) = election_now(), election_window()
        started = time.perf_counter()
        counts = alert_counts(db.session, now, start, end)
        counted = time.perf_counter() - started
        started = time.perf_counter()
        examples = collect_alerts(db.session, now, start, end, limit=5)
        sampled = time.perf_counter() - started
        db.session.remove()
    return {"alerts": sum(c.n for c in counts), "groups": len(counts), "count_s": counted, "examples_s": sampled,
            "examples": len(examples)}


def export_figures(client) -> dict:
    """The city-wide TPS CSV, read as a stream: time, size, and how much the peak memory grew."""
    # The process's resident memory now (not its lifetime peak, which earlier steps may have set), sampled
    # while the stream is read: "flat" means the highest sample is near the first.
    before = highest = _rss_kb()
    started = time.perf_counter()
    response = client.get("/dashboard/export/tps.csv", buffered=False)
    size = 0
    for n, chunk in enumerate(response.response):
        size += len(chunk)
        if n % 500 == 0:
            highest = max(highest, _rss_kb())
    elapsed = time.perf_counter() - started
    return {"s": elapsed, "mb": size / 1e6, "rss_growth_mb": (highest - before) / 1024, "status": response.status_code}


def export_in_own_process(pg: str) -> dict:
    """The export in a process that does nothing else: this one has background threads (the map grid's
    refresh after the coverage figures moved TPS, shared figures) whose memory would be counted as the
    export's."""
    import json
    import subprocess

    out = subprocess.run([sys.executable, __file__, "--pg", pg, "--export-only"], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def coverage_figures(app, rng) -> dict:
    """bench/coverage.py's method on this data: full recompute with nothing changed, a moved TPS and a new
    station, each an ORM change committed through the unit-of-work hook."""
    from datetime import time as clock

    from logistics.models import Kecamatan, MedicStation, Tps
    from logistics.services.coverage import recompute_all
    from logistics.services.unit_of_work import UnitOfWork

    with app.app_context():
        session = db.session
        started = time.perf_counter()
        with UnitOfWork(session) as uow:
            written = recompute_all(session)
            uow.commit()
        full = time.perf_counter() - started
        top = session.scalar(select(Tps.id).order_by(Tps.id.desc()).limit(1))
        moves = []
        for _ in range(5):
            with UnitOfWork(session) as uow:
                tps = session.get(Tps, rng.randint(1, top)) or session.get(Tps, top)
                tps.lat, tps.lon = tps.lat + rng.uniform(-0.01, 0.01), tps.lon + rng.uniform(-0.01, 0.01)
                started = time.perf_counter()
                uow.commit()
            moves.append(time.perf_counter() - started)
        kec = session.scalar(select(Kecamatan.id).where(Kecamatan.kota_id.in_(national_kota())).limit(1))
        added = []
        for i in range(5):
            with UnitOfWork(session) as uow:
                session.add(MedicStation(code=f"N-BENCH-{time.time_ns()}-{i}", name="Pos baru", kecamatan_id=kec,
                                         lat=rng.uniform(-8, -6), lon=rng.uniform(106, 112), ambulances=1,
                                         hours_from=clock(5, 30), hours_to=clock(3, 0)))
                started = time.perf_counter()
                uow.commit()
            added.append(time.perf_counter() - started)
        session.remove()
    return {"full_s": full, "written": written, "moved_s": statistics.median(moves), "moved_max": max(moves),
            "station_s": statistics.median(added), "station_max": max(added)}


def map_figures(app, client, rng, runs: int) -> dict:
    from bench.map_scale import measure_grid, measure_map_page

    page = measure_map_page(app, client, runs)
    grid = measure_grid(app, client, runs, rng)
    return {"page_ms": page["p50_ms"], "page_max_ms": page["max_ms"], "page_kb": page["kb"],
            "grid_p50": grid["p50"], "grid_p95": grid["p95"], "cells": grid["features"]}


def measure(url: str, args, build_s: float | None) -> None:
    import random

    rng = random.Random(14)
    app = make_app(url)
    app.config["TESTING"] = False
    with app.app_context():
        upgrade()  # a reused database may predate the code's latest migration
        from logistics.services.map_grid import refresh as refresh_grid
        started = time.perf_counter()
        # The build's bulk INSERTs bypass the services, so no data version moved: count regardless, as
        # `flask refresh-map-grid --force` does after a bulk load (the worker in production).
        refresh_grid(db.session, force=True)
        db.session.commit()
        print(f"map grid counted in {time.perf_counter() - started:.1f} s", flush=True)
        statements = Statements(db.engine)
        election_id = active_election_id(db.session)  # raw counts: the active election's rows (the demo holds a past one)
        counts = {t: db.session.execute(text(f"SELECT count(*) FROM {t}" + (
                      f" WHERE election_id = {election_id}" if t not in ("kota", "kecamatan", "kelurahan") else ""))).scalar()
                  for t in ("kota", "kecamatan", "kelurahan", "tps", "person", "delivery", "health_incident",
                            "medic_station")}
        db.session.remove()
    print(f"data: {counts}", flush=True)
    city = client_for(app, "koordinator")
    camat = client_for(app, kecamatan_coordinator(app))
    fig: dict = {}
    fig["national"] = view_figures(app, city, "/dashboard", args.runs, statements)
    print("national", fig["national"], flush=True)
    fig["kota"] = view_figures(app, city, "/dashboard?kota=" + str(_a_kota(app)), args.runs, statements)
    print("kota", fig["kota"], flush=True)
    fig["kecamatan"] = view_figures(app, camat, "/dashboard", args.runs, statements)
    print("kecamatan", fig["kecamatan"], flush=True)
    fig["alerts"] = alerts_figures(app)
    print("alerts", fig["alerts"], flush=True)
    fig["summary"] = view_figures(app, city, "/api/v1/summary?limit=100", args.runs, statements)
    print("summary", fig["summary"], flush=True)
    fig["map"] = map_figures(app, city, rng, args.runs)
    print("map", fig["map"], flush=True)
    fig["coverage"] = coverage_figures(app, rng)
    print("coverage", fig["coverage"], flush=True)
    if not args.no_export:
        fig["export"] = export_in_own_process(args.pg)
        print("export", fig["export"], flush=True)
    print_table(fig, counts, build_s)


def _a_kota(app) -> int:
    from logistics.models import Kota

    with app.app_context():
        kota = db.session.scalar(select(Kota.id).where(Kota.id.in_(national_kota())).order_by(Kota.id)
                                 .offset(100).limit(1))
        db.session.remove()
    return kota


def print_table(fig: dict, counts: dict, build_s: float | None) -> None:
    load = os.getloadavg()
    n, k, c, a, s = fig["national"], fig["kecamatan"], fig["kota"], fig["alerts"], fig["summary"]
    m, cov = fig["map"], fig["coverage"]
    rows = [
        ("National dashboard (/dashboard, city-wide coordinator): p95", "≤ 300 ms", "14.6 s",
         f"{n['warm_p95'] * 1000:.0f} ms (p50 {n['warm_p50'] * 1000:.0f} ms) shared figures; computed in the request: p50 {n['cold_p50']:.1f} s, "
         f"p95 {n['cold_p95']:.1f} s (the background refresh's cost)"),
        ("Kecamatan dashboard (a kecamatan coordinator): p95", "≤ 300 ms", "0.87 s",
         f"{k['warm_p95'] * 1000:.0f} ms (p50 {k['warm_p50'] * 1000:.0f} ms) shared; computed in the request: p95 {k['cold_p95'] * 1000:.0f} ms"),
        ("One kota's dashboard (drill-down, ?kota=): p95", "≤ 300 ms", "—",
         f"{c['warm_p95'] * 1000:.0f} ms (p50 {c['warm_p50'] * 1000:.0f} ms) shared; computed in the request: p95 {c['cold_p95'] * 1000:.0f} ms"),
        ("SQL statements per national dashboard", "a few dozen", "7,024",
         f"{n['cold_sql']} computed, {n['warm_sql']} shared"),
        ("National dashboard HTML", "readable page", "4.9 MB", f"{n['bytes'] / 1024:.0f} KB"),
        ("Alerts: counted per kind and kecamatan (SQL)", "—", "10.1 s, 220,500 alerts built",
         f"{a['count_s']:.1f} s for {a['alerts']:,} alerts in {a['groups']:,} groups; "
         f"first 5 per source: {a['examples_s']:.2f} s ({a['examples']} built)"),
        ("GET /api/v1/summary (100 kecamatan a page): p95", "paginated", "4.1 s, 3.4 MB",
         f"{s['warm_p95'] * 1000:.0f} ms (p50 {s['warm_p50'] * 1000:.0f} ms) shared, {s['bytes'] / 1024:.0f} KB; page with totals computed: "
         f"p95 {s['cold_p95']:.1f} s"),
    ]
    if "export" in fig:
        e = fig["export"]
        rows.append(("/dashboard/export/tps.csv (city-wide)", "streams, memory flat", "29.5 s, 114 MB",
                     f"{e['s']:.1f} s, {e['mb']:.0f} MB, peak RSS +{e['rss_growth_mb']:.0f} MB"))
    rows += [
        ("Coverage full recompute (nothing changed)", "≤ 5 s", "—", f"{cov['full_s']:.1f} s ({cov['written']} rows written)"),
        ("Moved TPS reflected (commit incl. recompute): median / max", "≤ 1 s", "—",
         f"{cov['moved_s'] * 1000:.0f} / {cov['moved_max'] * 1000:.0f} ms"),
        ("New station reflected: median / max", "≤ 1 s", "—",
         f"{cov['station_s'] * 1000:.0f} / {cov['station_max'] * 1000:.0f} ms"),
        ("/map page: size, build", "≤ 60 KB, ≤ 20 ms", "—", f"{m['page_kb']:.1f} KB, {m['page_ms']:.1f} ms (slowest {m['page_max_ms']:.1f})"),
        ("Zoomed-out grid (/map/data/tps.geojson, zoom 9): p50 / p95", "p95 ≤ 100 ms", "—",
         f"{m['grid_p50']:.0f} / {m['grid_p95']:.0f} ms ({m['cells']:.0f} cells)"),
    ]
    print(f"\n# national {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · {platform.node()} · {os.cpu_count()} CPUs · "
          f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} · PostgreSQL, stock settings · "
          f"build {'reused' if build_s is None else f'{build_s:.0f} s'}")
    print("# data: " + ", ".join(f"{v:,} {t}" for t, v in counts.items()))
    print("\n| Figure | Target | Before (issue 14) | Measured |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/siaga_national")
    parser.add_argument("--reuse", action="store_true", help="skip the build when the data is there")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--tps", type=int, default=N_TPS,
                        help="synthetic TPS over the real areas (default %(default)s; fewer for a quick run)")
    parser.add_argument("--no-export", action="store_true", help="skip the (long) CSV export")
    parser.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)  # export_in_own_process
    args = parser.parse_args()
    url = pg_url(args.pg)
    if args.export_only:
        import json

        app = make_app(url)
        app.config["TESTING"] = False
        print(json.dumps(export_figures(client_for(app, "koordinator"))), flush=True)
        return
    ensure_database(url)
    if args.reuse and built(url):
        print("reusing the national data already built", flush=True)
        build_s = None
    else:
        started = time.perf_counter()
        build(url, args.tps)
        build_s = time.perf_counter() - started
        print(f"built in {build_s:.0f} s", flush=True)
    if args.build_only:
        return
    measure(url, args, build_s)


if __name__ == "__main__":
    main()
