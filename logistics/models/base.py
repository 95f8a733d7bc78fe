"""Declarative base, column types and mixins shared by every model."""
from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, Enum, Float, MetaData, TypeDecorator, func
from sqlalchemy.orm import DeclarativeBase, Mapped, defer, mapped_column

from logistics.timeutil import as_utc, utcnow

# Stable constraint names, so migrations behave the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every database.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so UTC is stored naive and
    re-labelled on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return as_utc(value)


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, storing the enum's values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=func.now(), index=True
    )


class BoundaryMixin:
    """An administrative area's polygon (GeoJSON, EPSG:4326), its bounding box and a label point.

    Stored as portable JSON plus float columns rather than PostGIS geometry: the embedded
    SQLite default has no spatial types, and bounding-box filters on plain floats are indexed
    on both databases. Exact point-in-polygon work happens in shapely/geopandas.
    """

    # NULL: set up from the national list (logistics/area_list.py), its boundary file not imported yet.
    boundary: Mapped[dict | None] = mapped_column(JSON)
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    label_lat: Mapped[float | None] = mapped_column(Float)
    label_lon: Mapped[float | None] = mapped_column(Float)
    # The polygon simplified for the zoomed-out map (logistics/services/boundary_shapes.py): filled from
    # `boundary` whenever it is set, so the map never simplifies per request. NULL: not filled yet.
    boundary_coarse: Mapped[dict | None] = mapped_column(JSON)
    boundary_medium: Mapped[dict | None] = mapped_column(JSON)

    @classmethod
    def polygons_left_out(cls) -> tuple:
        """Loader options for a page that names the area and does not draw it: its three polygons are not
        read (a kelurahan's is tens of kilobytes of JSON once its boundary file is imported, decoded per row)."""
        return defer(cls.boundary), defer(cls.boundary_coarse), defer(cls.boundary_medium)


def max_length(column) -> int | None:
    """The length of a model's String(n) column (`Delivery.received_by`), None for Text: the one statement of
    a text field's limit, which services, forms, the API and the pages read."""
    return getattr(column.property.columns[0].type, "length", None)
