"""/dashboard: per-kecamatan figures, city totals, alerts (most urgent first), incidents per hour."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from logistics.models import Kecamatan, MealRound, Role, Triage
from logistics.queries.alerts import collect_alerts, group_alerts
from logistics.queries.exports import STATUS_ENUMS
from logistics.queries.incidents_per_hour import incidents_per_hour
from logistics.queries.login_readiness import readiness_summary
from logistics.queries.summary import city_totals, kecamatan_summary
from logistics.timeutil import utcnow
from maps import bp
from siaga.election import election_day, election_window
from siaga.auth import chosen_kecamatan_ids, kecamatan_scope
from siaga.auth import login_required
from siaga.extensions import db
from siaga.fields import FormChoice, FormFlag, FormId
from siaga.forms import FormSchema, with_query
from siaga.i18n import _, label, register_english

ALERTS_SHOWN = 100
register_english({
    "Dasbor komando": "Command dashboard",
    "Semua kecamatan": "All kecamatan",
    "Tampilkan": "Show",
    "Kota": "City",
    "Dibuka / ditutup": "Opened / closed",
    "Konsumsi diterima / rencana": "Meals delivered / planned",
    "Terlambat": "Late",
    "sampai": "arrived",
    "sampai, belum dikonfirmasi": "arrived, not confirmed by the TPS",
    "Kejadian terbuka": "Open incidents",
    "Pos kesehatan berpetugas": "Medic stations staffed",
    "Peringatan": "Alerts",
    "Tidak ada peringatan.": "No alerts.",
    "dan {n} peringatan lain.": "and {n} more alerts.",
    "Kejadian per jam (WIB)": "Incidents per hour (WIB)",
    "Unduh": "Download",
    "Status TPS": "TPS status",
    "Pengiriman": "Deliveries",
    "Kejadian": "Incidents",
    "Peta": "Map",
    "Hari pemungutan suara": "Election day",
    "Diperbarui otomatis setiap 30 detik.": "Refreshes itself every 30 seconds.",
    "Dihitung": "Computed",
    "Status (untuk unduhan)": "Status (for downloads)",
    "Kesiapan akun petugas (H-1)": "Field staff logins ready (H-1)",
    "sudah masuk / punya akun / orang": "logged in / with an account / people",
    "Daftar yang belum masuk (CSV)": "Who has not logged in (CSV)",
    "Kelola akun": "Manage accounts",
})


STATUS_VALUES = tuple(dict.fromkeys(m.value for enum in STATUS_ENUMS.values() for m in enum))


class DashboardQuery(FormSchema):
    kecamatan = FormId()  # narrows the user's scope (siaga.auth.chosen_kecamatan_ids)
    status = FormChoice(STATUS_VALUES)  # for the downloads: a TPS, delivery or incident status
    partial = FormFlag()  # the body only, for the page's own refresh


def chart(counts: list[int]) -> dict:
    """Bar geometry for the server-rendered SVG chart (no chart library, no inline script)."""
    top = max(counts) or 1
    height, bar_w = 120, 20
    return {"width": 24 * bar_w + 30, "height": height + 30, "bars": [
        {"hour": h, "n": n, "x": 25 + h * bar_w, "w": bar_w - 4, "h": round(n / top * height),
         "y": 10 + height - round(n / top * height)} for h, n in enumerate(counts)], "base": 10 + height}


def export_statuses(status: str) -> dict[str, str]:
    """The status filter, for each export it applies to (TPS, delivery and incident statuses differ)."""
    return {subject: status if status in {m.value for m in enum} else "" for subject, enum in STATUS_ENUMS.items()}


@bp.get("/dashboard")
@login_required(Role.COORDINATOR)
@with_query(DashboardQuery)
def dashboard(query: dict):
    ids = chosen_kecamatan_ids()
    now = utcnow()
    start, end = election_window()
    rows = kecamatan_summary(db.session, now, start, end, ids)
    alerts = collect_alerts(db.session, now, start, end, ids)
    if ids is None or len(ids) > 1:  # several kecamatan: one line per kind and kecamatan
        alerts = group_alerts(alerts, {r["kecamatan_id"]: r["nama"] for r in rows})
    scope = kecamatan_scope()
    choices_query = select(Kecamatan.id, Kecamatan.nama).order_by(Kecamatan.kode_kemendagri)
    if scope is not None:
        choices_query = choices_query.where(Kecamatan.id.in_(scope))
    context = dict(
        rows=rows, totals=city_totals(rows), alerts=alerts[:ALERTS_SHOWN], alerts_more=max(0, len(alerts) - ALERTS_SHOWN),
        chart=chart(incidents_per_hour(db.session, start, end, ids)), rounds=list(MealRound), triage=list(Triage),
        kecamatan_choices=db.session.execute(choices_query).all(), chosen=query.get("kecamatan"),
        status_filter=query.get("status", ""), day=election_day(), now=now,
        export_status=export_statuses(query.get("status", "")),
        readiness=readiness_summary(db.session, ids), readiness_roles=(Role.FIELD_OFFICER, Role.COURIER, Role.MEDIC),
        status_choices=[(_(title), [(m.value, label(m)) for m in STATUS_ENUMS[subject]])
                        for subject, title in (("tps", "Status TPS"), ("deliveries", "Pengiriman"), ("incidents", "Kejadian"))],
    )
    template = "maps/_dashboard_body.html" if query.get("partial") else "maps/dashboard.html"
    return render_template(template, **context)
