"""Derived data the live map reads: data versions (its ETags) and per-cell TPS counts (its zoomed-out layer).

Both live in the database, not in a process, so every gunicorn worker and every app server answers the
same and an ETag made by one is understood by all.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models.base import Base, UTCDateTime


class DataVersion(Base):
    """A counter per table (`name`) that every committed change of that table bumps
    (logistics/services/data_versions.py). It is split over a few `shard` rows, each transaction bumping
    one picked at random, so concurrent writers seldom wait on the same row; a table's version is the sum."""

    __tablename__ = "data_version"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class MapGridCell(Base):
    """TPS counted per cell of a fixed degree grid, per zoom level, per kecamatan; `kecamatan_id` 0 holds the
    total over all kecamatan (city-wide readers read one row per cell, a kecamatan coordinator sums theirs).
    A cell at zoom z is 90 / 2**z degrees wide (~64 px on screen), numbered from (-180, -90), so a cell of
    zoom z is exactly four of zoom z + 1. Refreshed in the background (logistics/services/map_grid.py)."""

    __tablename__ = "map_grid_cell"

    zoom: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    kecamatan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 0: all
    cx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cy: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tps: Mapped[int] = mapped_column(Integer)
    opened: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)
    sum_lat: Mapped[float] = mapped_column(Float)  # / tps: where the cell's TPS are, on average
    sum_lon: Mapped[float] = mapped_column(Float)


class MapGridState(Base):
    """One row: which data versions the cells were counted from, and when."""

    __tablename__ = "map_grid_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200))
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cells: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
