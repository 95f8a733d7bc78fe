"""The situation report: one A4 PDF of an area's day for briefing on paper (the Wali Kota, KPU, Dinkes).

It is the dashboard on paper, for the same moment: the same stored figures (`shared("dashboard", ...)`,
maps/dashboard.py), the same charts (maps/charts.py, drawn as vectors), the alerts worst first, the open
merah and kuning incidents without names or complaints, and when the figures were computed, in the
deployment's zone (WIB, WITA or WIT).

Made on demand from the dashboard (`/dashboard/laporan.pdf`, the viewer's scope and language) and every
hour of the election day by the worker (`make_situation_reports` in siaga/worker/jobs.py, stored in
`situation_report` and listed on the dashboard). An area is a `Scope`: the city (or several), a kota, a
kecamatan; a province is one more way to list kecamatan ids.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from logistics.models import (
    HealthIncident, Kecamatan, Kelurahan, Kota, MealRound, MedicStation, SituationReport, Tps, Triage,
)
from logistics.rules.lifecycles.incident import OPEN as INCIDENT_OPEN
from logistics.permissions.read_scope import incident_in_kecamatan
from logistics.rules.care_times import minutes_between
from logistics.timeutil import to_local
from siaga.election import local_zone
from maps.charts import Chart, dashboard_charts
from siaga.i18n import _, label

INCIDENTS_LISTED = 60  # open merah/kuning incidents in the report, oldest first
LANGUAGES = ("id", "en")


@dataclass(frozen=True)
class Scope:
    """What a report covers: `kind` ("all", "kota", "kecamatan"), the area's id and name, and the
    kecamatan ids the figures are computed for (None: every kecamatan the reader may see, the city)."""
    kind: str
    area_id: int
    name: str
    kecamatan_ids: tuple[int, ...] | None

    @property
    def single(self) -> bool:
        return self.kecamatan_ids is not None and len(self.kecamatan_ids) == 1


def scope_title(scope: Scope) -> str:
    if scope.kind == "kecamatan":
        return _("Kecamatan {name}", name=scope.name)
    return scope.name if scope.kind == "kota" else _("Semua wilayah")


def figure_cells(row: dict) -> list[tuple[str, str, str]]:
    """One area's (or the total's) figures as the dashboard's table shows them: (column, head, value)."""
    cells = [("tps_total", "TPS", str(row["tps_total"])),
             ("opened_closed", _("Dibuka / ditutup"), f"{row['tps_opened']} / {row['tps_closed']}")]
    for r in MealRound:
        m = row["meals"][r.value]
        cells.append((f"meal_{r.value}", label(r), f"{m['delivered']} / {m['planned']}"))
    cells.append(("late", _("Terlambat"), str(row["deliveries_late"])))
    for t in Triage:
        cells.append((f"incidents_{t.value}", label(t), str(row["incidents_open"][t.value])))
    cells.append(("staffed", _("Pos kesehatan berpetugas"), f"{row['medic_stations_staffed']} / {row['medic_stations']}"))
    return cells


def open_serious_incidents(session: Session, kecamatan_ids, now: datetime) -> list[dict]:
    """Open merah and kuning incidents, most urgent colour then oldest first: when, colour, step, where,
    minutes since reported. No patient name, no complaint, no notes (the report leaves the command post)."""
    place_kec = (select(Kecamatan.nama).join(Kelurahan, Kelurahan.kecamatan_id == Kecamatan.id)
                 .join(Tps, Tps.kelurahan_id == Kelurahan.id).where(Tps.id == HealthIncident.tps_id)
                 .scalar_subquery())
    query = (select(HealthIncident.id, HealthIncident.occurred_at, HealthIncident.reported_at, HealthIncident.triage,
                    HealthIncident.status, Tps.number, Kelurahan.nama, place_kec, MedicStation.name)
             .outerjoin(Tps, Tps.id == HealthIncident.tps_id).outerjoin(Kelurahan, Kelurahan.id == Tps.kelurahan_id)
             .outerjoin(MedicStation, MedicStation.id == HealthIncident.medic_station_id)
             .where(HealthIncident.status.in_(INCIDENT_OPEN),
                    HealthIncident.triage.in_((Triage.MERAH, Triage.KUNING))))
    scope = incident_in_kecamatan(kecamatan_ids)
    if scope is not None:
        query = query.where(scope)
    rows = session.execute(query.order_by(HealthIncident.occurred_at, HealthIncident.id)).all()
    rows.sort(key=lambda r: (r.triage != Triage.MERAH, r.occurred_at))
    return [{"id": r.id, "occurred_at": r.occurred_at, "triage": r.triage, "status": r.status,
             "place": (f"{Tps.label_of(r.number)} {r[6]}" if r.number is not None else (r[8] or "—")),
             "kecamatan": r[7] or "—", "minutes": minutes_between(r.reported_at, now)} for r in rows]


# --- the PDF ----------------------------------------------------------------------------------------

def _styles():
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sheet["BodyText"], fontName="Helvetica", fontSize=8.5, leading=10.5)
    return {"title": ParagraphStyle("title", parent=sheet["Title"], fontSize=16, alignment=TA_LEFT, spaceAfter=2),
            "h2": ParagraphStyle("h2", parent=sheet["Heading2"], fontSize=11.5, spaceBefore=8, spaceAfter=3),
            "body": body, "small": ParagraphStyle("small", parent=body, fontSize=7, leading=8.5),
            "cell": ParagraphStyle("cell", parent=body, fontSize=7, leading=8.5),
            "head": ParagraphStyle("head", parent=body, fontName="Helvetica-Bold", fontSize=6.5, leading=7.5)}


def _esc(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


GRID = TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 7), ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7),
                   ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#999999")),
                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf3")),
                   ("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                   ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                   ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2)])
SEVERITY_MARK = {"critical": "!!!", "high": "!!", "medium": "!", "low": "·"}  # worst first, readable in grey


def computed_stamp(moment: datetime) -> str:
    """'07-12-2026 11:33:05 WIB (UTC+07:00)': the zone written out, for a page read hours later."""
    zone = local_zone()
    local = to_local(moment, zone)
    return f"{local:%d-%m-%Y %H:%M:%S} {zone.name} (UTC{local:%z}"[:-2] + ":" + f"{local:%z}"[-2:] + ")"


def build_pdf(scope: Scope, figures: dict, rows: list[dict], by_kota: bool, incidents: list[dict],
              kind_label, severity_label) -> bytes:
    """The report in the current language. `figures` are the dashboard's stored figures of `scope`."""
    styles = _styles()
    title = _("Laporan situasi — {area}", area=scope_title(scope))
    stamp = computed_stamp(figures["now"])
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                                 bottomMargin=16 * mm, title=title, author="Siaga TPS",
                                 subject=_("Dihitung {stamp}", stamp=stamp))
    width = A4[0] - 28 * mm

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(14 * mm, 9 * mm, f"Siaga TPS · {title} · {_('Dihitung {stamp}', stamp=stamp)}")
        canvas.drawRightString(A4[0] - 14 * mm, 9 * mm, _("Halaman {n}", n=doc.page))
        canvas.restoreState()

    story: list = [Paragraph(_esc(title), styles["title"]),
                   Paragraph(_esc(_("Dihitung {stamp}", stamp=stamp)) + " · " +
                             _esc(_("Hari pemungutan suara")) + f": {to_local(figures['now'], local_zone()):%d-%m-%Y}", styles["body"])]
    if figures.get("drill_speed"):
        story.append(Paragraph(_esc(_("Gladi berjalan {speed}× lebih cepat: grafik memakai jam hari gladi, bukan jam dinding.",
                                      speed=f"{figures['drill_speed']:g}")), styles["small"]))
    # The day's figures: the total, then one line per area, as the dashboard's table.
    story.append(Paragraph(_esc(_("Angka hari ini")), styles["h2"]))
    total_cells = figure_cells(figures["totals"])
    head = [_("Kota/Kabupaten") if by_kota else _("Kecamatan")] + [h for _k, h, _v in total_cells]
    body = [[Paragraph(_esc(h), styles["head"]) for h in head]]
    for row in rows:
        body.append([Paragraph(_esc(row["nama"]), styles["cell"])] + [v for _k, _h, v in figure_cells(row)])
    body.append([_("Jumlah")] + [v for _k, _h, v in total_cells])
    first = 28 * mm
    table = Table(body, colWidths=[first] + _head_widths(head[1:], width - first, styles["head"]), repeatRows=1)
    table.setStyle(GRID)
    table.setStyle(TableStyle([("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 7),
                               ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black)]))
    story += [table, Paragraph(_esc(_("Konsumsi diterima / rencana")), styles["small"])]
    # The alerts, worst first: counted per kind, then the most urgent examples (the dashboard's).
    story.append(CondPageBreak(40 * mm))
    story.append(Paragraph(_esc(_("Peringatan terbuka ({n})", n=figures["alerts_total"])), styles["h2"]))
    if figures["alert_kinds"]:
        kinds = [[_("Jenis"), _("Tingkat"), _("Jumlah")]] + [
            [kind_label(kind), f"{SEVERITY_MARK[severity]} {severity_label(severity)}", n]
            for kind, severity, n in figures["alert_kinds"]]
        table = Table(kinds, colWidths=[90 * mm, 35 * mm, 20 * mm], hAlign="LEFT")
        table.setStyle(GRID)
        story.append(table)
        examples = [[_("Sejak"), _("Tingkat"), _("Peringatan")]] + [
            [f"{to_local(a.since, local_zone()):%H:%M}", f"{SEVERITY_MARK[a.severity]} {severity_label(a.severity)}",
             Paragraph(_esc(a.message), styles["cell"])] for a in figures["examples"]]
        story.append(Spacer(1, 3 * mm))
        story.append(Paragraph(_esc(_("Contoh (paling mendesak)")), styles["body"]))
        table = Table(examples, colWidths=[14 * mm, 25 * mm, width - 39 * mm], repeatRows=1, hAlign="LEFT")
        table.setStyle(GRID)
        table.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "LEFT")]))
        story.append(table)
    else:
        story.append(Paragraph(_esc(_("Tidak ada peringatan.")), styles["body"]))
    # Open merah and kuning incidents, without names.
    story.append(CondPageBreak(40 * mm))
    story.append(Paragraph(_esc(_("Kejadian merah dan kuning yang masih terbuka ({n})", n=len(incidents))), styles["h2"]))
    if incidents:
        head = [_("Waktu"), _("Triase"), _("Status"), _("Tempat"), _("Kecamatan"), _("Menit sejak dilaporkan")]
        # Heads as paragraphs: they wrap inside their columns (the last ran past the table's edge).
        listed = [[Paragraph(_esc(h), styles["head"]) for h in head]] + [
            [f"{to_local(i['occurred_at'], local_zone()):%H:%M}", label(i["triage"]).upper() if i["triage"] == Triage.MERAH else label(i["triage"]),
             label(i["status"]), Paragraph(_esc(i["place"]), styles["cell"]), Paragraph(_esc(i["kecamatan"]), styles["cell"]),
             "" if i["minutes"] is None else i["minutes"]] for i in incidents[:INCIDENTS_LISTED]]
        table = Table(listed, colWidths=[14 * mm, 18 * mm, 30 * mm, 60 * mm, 35 * mm, width - 157 * mm], repeatRows=1,
                      hAlign="LEFT")
        table.setStyle(GRID)
        table.setStyle(TableStyle([("ALIGN", (0, 0), (-2, -1), "LEFT")]))
        for n, incident in enumerate(incidents[:INCIDENTS_LISTED], start=1):
            if incident["triage"] == Triage.MERAH:
                table.setStyle(TableStyle([("FONT", (1, n), (1, n), "Helvetica-Bold", 7),
                                           ("TEXTCOLOR", (1, n), (1, n), colors.HexColor("#b00020"))]))
        story.append(table)
        if len(incidents) > INCIDENTS_LISTED:
            story.append(Paragraph(_esc(_("dan {n} lainnya.", n=len(incidents) - INCIDENTS_LISTED)), styles["small"]))
    else:
        story.append(Paragraph(_esc(_("Tidak ada.")), styles["body"]))
    # The charts.
    story.append(Paragraph(_esc(_("Grafik")), styles["h2"]))
    for chart in dashboard_charts(figures, rows, _("Kota/Kabupaten") if by_kota else _("Kecamatan")):
        story.append(_chart_block(chart, styles))
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _chart_block(chart: Chart, styles) -> KeepTogether:
    parts = [Paragraph("<b>" + _esc(chart.title) + "</b>", styles["body"]), chart.drawing]
    if chart.note:
        parts.append(Paragraph(_esc(chart.note), styles["small"]))
    return KeepTogether(parts + [Spacer(1, 4 * mm)])


def report_for(session: Session, scope: Scope) -> tuple[bytes, datetime]:
    """The PDF for `scope` in the current language, from the dashboard's stored figures; and the moment
    its figures were computed."""
    from maps.dashboard import ALERTS_SHOWN, EXAMPLES_PER_SOURCE, EXAMPLES_SHOWN, kind_label, severity_label
    from siaga.shared_figures import shared

    figures = dict(shared("dashboard", ids=scope.kecamatan_ids,
                          examples=ALERTS_SHOWN if scope.single else EXAMPLES_PER_SOURCE))
    figures["examples"] = figures["examples"][:ALERTS_SHOWN if scope.single else EXAMPLES_SHOWN]
    by_kota = figures["kota_rows"] is not None
    rows = figures["kota_rows"] if by_kota else figures["rows"]
    incidents = open_serious_incidents(session, scope.kecamatan_ids, figures["now"])
    return build_pdf(scope, figures, rows, by_kota, incidents, kind_label(), severity_label), figures["now"]


# --- made every hour by the worker ------------------------------------------------------------------

def hourly_scopes(session: Session) -> list[Scope]:
    """Every kota and every kecamatan: what a city-wide and a kecamatan coordinator open. A lone kota's
    figures are the city's (kecamatan ids None), the same stored figures as its coordinators' dashboard."""
    kota = session.execute(select(Kota.id, Kota.nama).order_by(Kota.kode_kemendagri)).all()
    kecamatan = session.execute(select(Kecamatan.id, Kecamatan.nama, Kecamatan.kota_id)
                                .order_by(Kecamatan.kode_kemendagri)).all()
    scopes = []
    for kota_id, nama in kota:
        ids = None if len(kota) == 1 else tuple(sorted(k.id for k in kecamatan if k.kota_id == kota_id))
        scopes.append(Scope("kota", kota_id, nama, ids))
    scopes += [Scope("kecamatan", k.id, k.nama, (k.id,)) for k in kecamatan]
    return scopes


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def make_situation_reports(session: Session, moment: datetime, languages=LANGUAGES) -> int:
    """This hour's report for every area and language that has none yet (the worker's job, on the
    election day only). The unique key (scope, area, language, hour) keeps a second worker from
    storing a twin. Returns how many were made."""
    from logistics.election_scope import current_election_id
    from logistics.queries.sql_upsert import upsert_insert
    from siaga.election import election_window
    from siaga.sqlite_writes import as_reader

    start, end = election_window()
    if not start <= moment < end:
        return 0
    hour = hour_of(moment)
    # Reading and drawing hold no write turn (SQLite): each report is stored in a short transaction of its own.
    with as_reader():
        done = set(session.execute(select(SituationReport.scope, SituationReport.area_id, SituationReport.lang)
                                   .where(SituationReport.hour == hour)).all())
        scopes = hourly_scopes(session)
        session.rollback()
    made = 0
    table = SituationReport.__table__
    for scope in scopes:
        for lang in languages:
            if (scope.kind, scope.area_id, lang) in done:
                continue
            with as_reader(), force_locale(lang):
                try:
                    pdf, computed_at = report_for(session, scope)
                finally:
                    session.rollback()
            statement = upsert_insert(session)(table).values(
                scope=scope.kind, area_id=scope.area_id, lang=lang, hour=hour, computed_at=computed_at, pdf=pdf,
                election_id=current_election_id(session))  # a Core insert: it names its election itself
            session.execute(statement.on_conflict_do_nothing())
            session.commit()
            made += 1
    return made


def stored_reports(session: Session, scope: Scope, day_start: datetime, day_end: datetime) -> list[tuple]:
    """The day's stored reports of `scope`, newest first: (id, hour, language, computed_at)."""
    if scope.kind == "all":
        return []
    return session.execute(
        select(SituationReport.id, SituationReport.hour, SituationReport.lang, SituationReport.computed_at)
        .where(SituationReport.scope == scope.kind, SituationReport.area_id == scope.area_id,
               SituationReport.hour >= day_start, SituationReport.hour < day_end)
        .order_by(SituationReport.hour.desc(), SituationReport.lang)).all()



def _head_widths(heads: list[str], width: float, style) -> list[float]:
    """Columns sharing `width`, each at least as wide as its head's longest word (and the cells' padding,
    reportlab's 6 pt a side): in an even share "berpetugas" and "Terlambat" did not fit and were cut."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    need = [max(stringWidth(word, style.fontName, style.fontSize) for word in head.split()) + 12 for head in heads]
    spare = max(0.0, width - sum(need))
    return [n + spare / len(need) for n in need]
