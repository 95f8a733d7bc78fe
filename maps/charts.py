"""The dashboard's charts, drawn once with reportlab's graphics and used twice: as inline SVG on the
dashboard (`svg`) and as vector drawings in the situation report's PDF (maps/situation_report.py).

Each chart is built from the dashboard's stored figures (maps/dashboard.py `_figures`), so the picture,
the table beside it and the report agree. Every chart comes with a title (the figure's caption and the
SVG's accessible name) and a data table (the fallback for screen readers, and what the tests read).
Readable without colour: series differ by fill (solid / outline), marker shape and dash as well as hue;
the triage colours are used only for incidents.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from logistics.models import MealRound, Triage
from logistics.rules.care_times import CARE_TARGET_MINUTES
from siaga.election import local_zone
from siaga.i18n import _, label

WIDTH = 480
INK, SOLID, PALE = colors.HexColor("#222222"), colors.HexColor("#0a3a8c"), colors.white
# Incidents only: the START colours (the dashboard's and the map's), each with its own marker shape.
TRIAGE_STYLE = {"merah": ("#d50000", "FilledCircle", None), "kuning": ("#b38f00", "FilledTriangle", (4, 2)),
                "hijau": ("#00a844", "FilledSquare", (1, 2)), "hitam": ("#212121", "FilledDiamond", (6, 2, 1, 2))}
# TPS steps: neutral blues and greys (never a triage colour), told apart by marker and dash.
STEP_STYLE = {"present": ("#78909c", "Circle", (1, 2)), "open": ("#1e88e5", "FilledCircle", None),
              "voting_closed": ("#5e35b1", "FilledSquare", (4, 2)), "counted": ("#3949ab", "FilledTriangle", (6, 2)),
              "handed_over": ("#0d1b3e", "FilledDiamond", (6, 2, 1, 2))}
AREAS_DRAWN = 30  # the per-area chart lists at most this many areas (the table beside it lists them all)


@dataclass
class Chart:
    key: str  # the figure's id on the page
    title: str
    drawing: Drawing | None  # None once drawn for the page (drawn_charts keeps only the SVG)
    head: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""


def step_labels() -> dict[str, str]:
    return {"present": _("Petugas hadir"), "open": _("Dibuka"), "voting_closed": _("Pemungutan ditutup"),
            "counted": _("Dihitung"), "handed_over": _("Diserahkan")}


def _legend(drawing: Drawing, x: float, y: float, pairs, columns: int = 5) -> None:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = "Helvetica", 8
    legend.alignment = "right"
    legend.columnMaximum = 1 if columns > 1 else len(pairs)
    legend.dx, legend.dy, legend.deltax = 10, 8, 6
    legend.colorNamePairs = pairs
    drawing.add(legend)


def _marker_legend(drawing: Drawing, y: float, items) -> None:
    """Legend entries drawn as the series' own marker and dash, so they read without colour."""
    x = 40
    for text, (hue, marker, dash) in items:
        colour = colors.HexColor(hue)
        drawing.add(Line(x, y + 3, x + 18, y + 3, strokeColor=colour, strokeWidth=1.5, strokeDashArray=dash))
        symbol = makeMarker(marker, x=x + 9, y=y + 3, size=6, fillColor=colour, strokeColor=colour)
        drawing.add(symbol)
        drawing.add(String(x + 22, y, text, fontName="Helvetica", fontSize=8, fillColor=INK))
        x += 30 + 4.6 * len(text)


def _lines(plot: LinePlot, series: list[tuple[str, list[tuple[float, float]], tuple]]) -> None:
    plot.data = [points or [(0, 0)] for _, points, _style in series]
    plot.joinedLines = 1
    for i, (_name, _points, (hue, marker, dash)) in enumerate(series):
        plot.lines[i].strokeColor = colors.HexColor(hue)
        plot.lines[i].strokeWidth = 1.5
        plot.lines[i].strokeDashArray = dash
        plot.lines[i].symbol = makeMarker(marker, size=5, fillColor=colors.HexColor(hue),
                                          strokeColor=colors.HexColor(hue))


def _axes(plot, y_max: int) -> None:
    """Counts from 0 with room for the bar labels; whole numbers only (no "0.5 TPS")."""
    value_axis = plot.yValueAxis if isinstance(plot, LinePlot) else plot.valueAxis
    other = plot.xValueAxis if isinstance(plot, LinePlot) else plot.categoryAxis
    value_axis.valueMin = 0
    value_axis.valueMax = max(y_max, 1) * 1.15
    value_axis.labels.fontName = other.labels.fontName = "Helvetica"
    value_axis.labels.fontSize = other.labels.fontSize = 8
    value_axis.labelTextFormat = lambda v: f"{v:g}" if float(v).is_integer() else ""


def meals_by_round(totals: dict) -> Chart:
    rounds = list(MealRound)
    planned = [totals["meals"][r.value]["planned"] for r in rounds]
    delivered = [totals["meals"][r.value]["delivered"] for r in rounds]
    drawing = Drawing(WIDTH, 190)
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 40, 30, WIDTH - 60, 125
    bars.data = [planned, delivered]
    bars.categoryAxis.categoryNames = [label(r) for r in rounds]
    _axes(bars, max(planned + delivered, default=0))
    # Planned: an outline; delivered: solid. The difference is the fill, not only the hue.
    bars.bars[0].fillColor, bars.bars[0].strokeColor, bars.bars[0].strokeWidth = PALE, INK, 1
    bars.bars[1].fillColor, bars.bars[1].strokeColor = SOLID, SOLID
    bars.barLabelFormat = "%d"
    bars.barLabels.fontName, bars.barLabels.fontSize, bars.barLabels.nudge = "Helvetica", 7, 6
    drawing.add(bars)
    _legend(drawing, 60, 178, [(PALE, _("Rencana")), (SOLID, _("Diterima"))])
    return Chart("meals-round", _("Konsumsi diterima dibanding rencana, per ronde"), drawing,
                 [_("Ronde"), _("Diterima"), _("Rencana")],
                 [[label(r), d, p] for r, d, p in zip(rounds, delivered, planned)])


def meals_by_area(rows: list[dict], area_title: str) -> Chart:
    def total(row, key):
        return sum(m[key] for m in row["meals"].values())

    table = [[row["nama"], total(row, "delivered"), total(row, "planned")] for row in rows]
    drawn = table[:AREAS_DRAWN]
    height = 50 + 18 * max(len(drawn), 1)
    drawing = Drawing(WIDTH, height)
    bars = HorizontalBarChart()
    bars.x, bars.y, bars.width, bars.height = 130, 20, WIDTH - 150, height - 45
    # reportlab draws the first category at the bottom: reversed, the list reads top-down like the table.
    bars.data = [[r[2] for r in reversed(drawn)] or [0], [r[1] for r in reversed(drawn)] or [0]]
    bars.categoryAxis.categoryNames = [str(r[0])[:24] for r in reversed(drawn)] or [""]
    _axes(bars, max([r[2] for r in drawn] + [r[1] for r in drawn], default=0))
    bars.bars[0].fillColor, bars.bars[0].strokeColor, bars.bars[0].strokeWidth = PALE, INK, 1
    bars.bars[1].fillColor, bars.bars[1].strokeColor = SOLID, SOLID
    bars.barLabelFormat = "%d"
    bars.barLabels.fontName, bars.barLabels.fontSize = "Helvetica", 7
    bars.barLabels.boxAnchor, bars.barLabels.dx = "w", 3
    drawing.add(bars)
    _legend(drawing, 140, height - 10, [(PALE, _("Rencana")), (SOLID, _("Diterima"))])
    note = (_("Grafik memuat {n} wilayah pertama; tabel memuat semuanya.", n=AREAS_DRAWN)
            if len(table) > AREAS_DRAWN else "")
    return Chart("meals-area", _("Konsumsi diterima dibanding rencana, per {area}", area=area_title), drawing,
                 [area_title, _("Diterima"), _("Rencana")], table, note)


def tps_steps(steps: dict) -> Chart:
    names = step_labels()
    hours = steps["hours"]
    series = [(names[k], list(zip(hours, steps[k])), STEP_STYLE[k]) for k in STEP_STYLE]
    drawing = Drawing(WIDTH, 200)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 45, WIDTH - 60, 135
    _lines(plot, series)
    _hour_axis(plot)
    _axes(plot, max((max(steps[k], default=0) for k in STEP_STYLE), default=0))
    drawing.add(plot)
    _marker_legend(drawing, 8, [(names[k], STEP_STYLE[k]) for k in STEP_STYLE])
    return Chart("tps-steps", _("Langkah TPS sepanjang hari (jumlah TPS, kumulatif per jam)"), drawing,
                 [_("Jam")] + [names[k] for k in STEP_STYLE],
                 [[f"{h:02d}:00"] + [steps[k][i] for k in STEP_STYLE] for i, h in enumerate(hours)])


def _hour_axis(plot: LinePlot) -> None:
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, 23
    plot.xValueAxis.valueSteps = list(range(0, 24, 3))
    plot.xValueAxis.labelTextFormat = "%02d"


def incidents_by_triage(per_hour: dict, drill_speed: float | None) -> Chart:
    colours = [t for t in (Triage.MERAH, Triage.KUNING, Triage.HIJAU, Triage.HITAM)]
    series = [(label(t), [(h, n) for h, n in enumerate(per_hour[t.value])], TRIAGE_STYLE[t.value]) for t in colours]
    drawing = Drawing(WIDTH, 200)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 45, WIDTH - 60, 135
    _lines(plot, series)
    _hour_axis(plot)
    _axes(plot, max((max(per_hour[t.value]) for t in colours), default=0))
    drawing.add(plot)
    _marker_legend(drawing, 8, [(label(t), TRIAGE_STYLE[t.value]) for t in colours])
    title = _("Kejadian per jam gladi menurut triase (jam simulasi)") if drill_speed else \
        _("Kejadian per jam menurut triase ({zone})", zone=local_zone().name)
    rows = [[f"{h:02d}:00"] + [per_hour[t.value][h] for t in colours] + [sum(per_hour[t.value][h] for t in colours)]
            for h in range(24)]
    return Chart("incidents-hour", title, drawing, [_("Jam")] + [label(t) for t in colours] + [_("Jumlah")], rows)


def care_times(distribution: dict, response_target: int, drill_speed: float | None) -> Chart:
    edges = distribution["edges"]
    names = [f"{a}–{b}" for a, b in zip(edges, edges[1:])] + [f"{edges[-1]}+"]
    drawing = Drawing(WIDTH, 200)
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 40, 45, WIDTH - 60, 125
    bars.data = [distribution["response"], distribution["care"]]
    bars.categoryAxis.categoryNames = names
    _axes(bars, max(distribution["response"] + distribution["care"], default=0))
    bars.bars[0].fillColor, bars.bars[0].strokeColor = SOLID, SOLID
    bars.bars[1].fillColor, bars.bars[1].strokeColor, bars.bars[1].strokeWidth = PALE, INK, 1
    bars.bars[1].strokeDashArray = (3, 1.5)
    drawing.add(bars)
    step = bars.width / len(names)
    for minutes, text, dash in ((response_target, _("target respons {n} mnt", n=response_target), (4, 2)),
                                (CARE_TARGET_MINUTES, _("target perawatan {n} mnt", n=CARE_TARGET_MINUTES), (1, 2))):
        if minutes in edges:  # a target sits on a bin's edge: the line between two bars
            x = bars.x + edges.index(minutes) * step
            drawing.add(Line(x, bars.y, x, bars.y + bars.height + 8, strokeColor=INK, strokeWidth=1.2,
                             strokeDashArray=dash))
            drawing.add(String(x + 2, bars.y + bars.height + 2, text, fontName="Helvetica", fontSize=7, fillColor=INK))
    _legend(drawing, 60, 12, [(SOLID, _("Sampai respons")), (PALE, _("Sampai ditangani"))])
    drawing.add(String(WIDTH - 20, 28, _("menit"), fontName="Helvetica", fontSize=7, fillColor=INK, textAnchor="end"))
    title = _("Waktu sampai respons dan sampai ditangani (jumlah kejadian per rentang menit)")
    note = _("Garis: target untuk kejadian merah.")
    if drill_speed:
        note += " " + _("Gladi: menit simulasi.")
    return Chart("care-times", title, drawing, [_("Menit"), _("Sampai respons"), _("Sampai ditangani")],
                 [[n, r, c] for n, r, c in zip(names, distribution["response"], distribution["care"])], note)


def dashboard_charts(figures: dict, rows: list[dict], area_title: str) -> list[Chart]:
    """The dashboard's charts, in the order the page and the report show them."""
    drill_speed = figures.get("drill_speed")
    return [meals_by_round(figures["totals"]), meals_by_area(rows, area_title), tps_steps(figures["tps_steps"]),
            incidents_by_triage(figures["per_hour"], drill_speed),
            care_times(figures["care_times"], figures["response_target"], drill_speed)]


# --- SVG for the page -------------------------------------------------------------------------------

# Drawing five charts costs tens of milliseconds (reportlab builds every axis tick and label as shapes);
# a dashboard is rendered again for each viewer whenever its stored figures change. The SVG is a pure
# function of those figures and the language, so each process keeps the last few (an LRU keyed by the
# figures it draws and the language): one drawing per change, not one per viewer.
SVG_CACHE_SIZE = 32
_drawn: OrderedDict = OrderedDict()
_drawn_lock = threading.Lock()


def drawn_charts(figures: dict, rows: list[dict], area_title: str) -> list[tuple[Chart, str]]:
    """The dashboard's charts with their inline SVG, for these stored figures, in the current language."""
    from siaga.i18n import current_language

    # What the charts draw, as the key (the clock is no identity: after the day it stands at its end).
    drawn_from = [figures["totals"]["meals"], [(r["nama"], r["meals"]) for r in rows], figures["tps_steps"],
                  figures["per_hour"], figures["care_times"], figures["response_target"], figures.get("drill_speed")]
    key = (hashlib.sha256(json.dumps(drawn_from, sort_keys=True, default=str).encode()).hexdigest(),
           current_language(), area_title)
    with _drawn_lock:
        if key in _drawn:
            _drawn.move_to_end(key)
            return _drawn[key]
    drawn = [(replace(chart, drawing=None), svg(chart)) for chart in dashboard_charts(figures, rows, area_title)]
    with _drawn_lock:
        _drawn[key] = drawn
        while len(_drawn) > SVG_CACHE_SIZE:
            _drawn.popitem(last=False)
    return drawn


SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
_STYLE_ITEM = re.compile(r"\s*([a-z-]+)\s*:\s*([^;]+?)\s*(?:;|$)")


def svg(chart: Chart) -> str:
    """The chart as an inline `<svg>` for a page under the strict CSP (`style-src 'self'`, no inline
    styles): reportlab's style attributes become presentation attributes, its ids are made unique per
    chart, and the SVG is named by the figure's caption (`aria-labelledby`)."""
    root = ET.fromstring(renderSVG.drawToString(chart.drawing).encode())
    for element in root.iter():
        style = element.attrib.pop("style", None)
        if style:
            for name, value in _STYLE_ITEM.findall(style):
                element.set(name, value.replace("url(#", f"url(#{chart.key}-"))
        if "id" in element.attrib:
            element.set("id", f"{chart.key}-{element.get('id')}")
    for tag in ("title", "desc"):  # reportlab's placeholders ("..."): the caption names the chart
        for node in root.findall(f"{{{SVG_NS}}}{tag}"):
            root.remove(node)
    for attribute in ("width", "height"):
        root.attrib.pop(attribute, None)
    root.set("role", "img")
    root.set("aria-labelledby", f"chart-{chart.key}-title")
    root.set("class", "chart-svg")
    return ET.tostring(root, encoding="unicode")
