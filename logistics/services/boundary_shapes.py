"""Simplified boundaries for the map, stored beside the exact one (`boundary_coarse`, `boundary_medium`).

The unit of work (logistics/services/unit_of_work.py) fills them before each flush in which an area's
`boundary` is set (seeder, boundary importer, any service), so they are computed once per change, stored
for every process, and never per request. `fill_missing` fills areas stored before the columns existed
(`flask --app wsgi refresh-map-grid`).

Tolerances are about one screen pixel at the highest zoom each shape is shown at (DETAILS), so the
simplification cannot be seen; topology is preserved (no self-intersections).
"""
from __future__ import annotations

from shapely.geometry import mapping, shape
from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from logistics.models import Kecamatan, Kelurahan, Kota

AREAS = {"kota": Kota, "kecamatan": Kecamatan, "kelurahan": Kelurahan}


def pixel_degrees(zoom: int) -> float:
    """The width of one screen pixel in degrees of longitude at a web-map zoom."""
    return 360.0 / (256 * 2 ** zoom)


# (column, highest zoom it is shown at): above the last, the exact `boundary`.
DETAILS = (("boundary_coarse", 9), ("boundary_medium", 12))


def column_for_zoom(zoom: int) -> str:
    for column, top in DETAILS:
        if zoom <= top:
            return column
    return "boundary"


def _round(coords, places: int):
    if isinstance(coords, (int, float)):
        return round(coords, places)
    return [_round(c, places) for c in coords]


def simplified(geometry: dict) -> dict[str, dict]:
    """{column: GeoJSON geometry} for every simplified level of `geometry`."""
    exact = shape(geometry)
    out = {}
    for column, top in DETAILS:
        tolerance = pixel_degrees(top)
        simple = exact.simplify(tolerance, preserve_topology=True)
        if simple.is_empty:  # smaller than a pixel: keep its outline as it is
            simple = exact
        out[column] = mapping(simple)
        out[column] = {"type": out[column]["type"], "coordinates": _round(out[column]["coordinates"], 6)}
    return out


def fill(area) -> None:
    for column, geometry in simplified(area.boundary).items():
        setattr(area, column, geometry)


def fill_missing(session: Session) -> int:
    """Fill the simplified shapes of areas that have none (stored before they existed); returns how many."""
    done = 0
    for model in AREAS.values():
        for area in session.scalars(select(model).where(model.boundary.is_not(None),
                                                        or_(model.boundary_coarse.is_(None),
                                                            model.boundary_medium.is_(None)))):
            fill(area)
            done += 1
    session.flush()
    return done


def fill_changed(session: Session) -> None:
    """Before a flush: the simplified shapes of the areas whose boundary it writes."""
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, (Kota, Kecamatan, Kelurahan)) and obj.boundary is not None:
            if obj in session.new or inspect(obj).attrs.boundary.history.has_changes():
                fill(obj)
