"""Helpers for idempotent seeding."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"


def read_geojson(name: str) -> list[dict]:
    return json.loads((SEED_DIR / name).read_text(encoding="utf-8"))["features"]


def read_csv(name: str) -> list[dict]:
    with (SEED_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def existing(session: Session, key_column) -> dict:
    """{natural key: row} for one model, keyed on `key_column`."""
    model = key_column.class_
    return {getattr(row, key_column.key): row for row in session.scalars(select(model))}


def add_missing(session: Session, key_column, records: list[dict]) -> tuple[int, int]:
    """Insert the records whose key is not stored yet; return (rows now, rows added)."""
    model = key_column.class_
    have = set(session.scalars(select(key_column)))
    new = [model(**r) for r in records if r[key_column.key] not in have]
    session.add_all(new)
    session.flush()
    return session.scalar(select(func.count()).select_from(model)), len(new)


def bbox_fields(geometry: dict, label_lat: float, label_lon: float) -> dict:
    """The BoundaryMixin columns for a GeoJSON polygon."""
    from shapely.geometry import shape

    min_lon, min_lat, max_lon, max_lat = shape(geometry).bounds
    return dict(boundary=geometry, min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat,
                label_lat=label_lat, label_lon=label_lon)
