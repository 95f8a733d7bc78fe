"""A merah (immediate) incident nobody has responded to 10 minutes after it was reported."""
from __future__ import annotations

from sqlalchemy import select

from logistics.models import HealthIncident, IncidentStatus, Triage
from logistics.queries.alerts import Alert, alert_source
from logistics.queries.scope import incident_kecamatan
from logistics.settings import settings_for


@alert_source
def merah_no_response_alerts(session, now, day_start, day_end, kecamatan_ids) -> list[Alert]:
    kecamatan, limit = incident_kecamatan(), settings_for(session).merah_response
    query = (select(HealthIncident.id, HealthIncident.reported_at, HealthIncident.tps_id, kecamatan)
             .where(HealthIncident.triage == Triage.MERAH, HealthIncident.status == IncidentStatus.REPORTED,
                    HealthIncident.reported_at <= now - limit)
             .order_by(HealthIncident.reported_at))
    if kecamatan_ids is not None:
        query = query.where(kecamatan.in_(list(kecamatan_ids)))
    alerts = []
    for incident_id, reported_at, tps_id, kec_id in session.execute(query):
        minutes = int((now - reported_at).total_seconds() // 60)
        alerts.append(Alert(
            kind="merah_no_response", severity="critical", since=reported_at + limit,
            kecamatan_id=kec_id, tps_id=tps_id, refs={"incident_id": incident_id},
            message_id=f"Kejadian MERAH #{incident_id} belum ditangani ({minutes} menit sejak dilaporkan).",
            message_en=f"RED incident #{incident_id} has no response ({minutes} minutes since reported).",
        ))
    return alerts
