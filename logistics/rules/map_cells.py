"""The live map's grid: fixed cells per zoom level, and which TPS count as opened or closed in a cell.

A cell at zoom z is 90 / 2**z degrees wide (~64 screen pixels), numbered from (-180, -90), so each cell
of zoom z is exactly four cells of zoom z + 1 and coarser counts are sums of finer ones. The stored
counts (`map_grid_cell`) go down to TOP_ZOOM; finer grids (a zoomed-in view with too many TPS) are
counted live from `tps`.
"""
from __future__ import annotations

import math

from logistics.rules.lifecycles import tps_day

TOP_ZOOM = 11
NOT_OPENED = frozenset(s for s in tps_day.TpsStatus if s not in tps_day.OPENED)
CLOSED = frozenset(tps_day.CLOSED)


def cell_degrees(zoom: int) -> float:
    return 90.0 / 2 ** zoom


def cell_range(min_deg: float, max_deg: float, zoom: int, offset: float) -> tuple[int, int]:
    """The first and last cell numbers covering [min_deg, max_deg] (offset: 180 for lon, 90 for lat)."""
    size = cell_degrees(zoom)
    return math.floor((min_deg + offset) / size), math.floor((max_deg + offset) / size)
