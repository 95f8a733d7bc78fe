"""A merah (immediate) incident nobody has responded to 10 minutes after it was reported."""
from __future__ import annotations

from sqlalchemy import literal, select

from logistics.models import HealthIncident, IncidentStatus, Triage
from logistics.texts import lazy_gettext
from logistics.queries.alerts import Alert, alert_source
from logistics.permissions.read_scope import incident_in_kecamatan, incident_kecamatan
from logistics.queries.sql_time import plus
from logistics.settings import settings_for


def build(row, moment, session) -> Alert:
    incident_id = row["incident_id"]
    minutes = int((moment.now - row["reported_at"]).total_seconds() // 60)
    return Alert(kind="merah_no_response", severity="critical", since=row["since"], kecamatan_id=row["kecamatan_id"],
                 tps_id=row["tps_id"], refs={"incident_id": incident_id},
                 message=lazy_gettext("Kejadian MERAH #{id} belum ditangani ({minutes} menit sejak dilaporkan).",
                                      id=incident_id, minutes=minutes))


@alert_source(build, {"merah_no_response": lazy_gettext("Kejadian merah belum ditangani")})
def merah_no_response(session, moment, kecamatan_ids):
    limit = settings_for(session).merah_response
    # The scope filters first (indexes), so the kecamatan is worked out only for the incidents shown.
    query = (select(literal("merah_no_response").label("kind"), literal("critical").label("severity"),
                    plus(HealthIncident.reported_at, limit).label("since"),
                    incident_kecamatan().label("kecamatan_id"), HealthIncident.tps_id.label("tps_id"),
                    HealthIncident.id.label("incident_id"), HealthIncident.reported_at.label("reported_at"))
             .where(HealthIncident.triage == Triage.MERAH, HealthIncident.status == IncidentStatus.REPORTED,
                    HealthIncident.reported_at <= moment.now - limit))
    if kecamatan_ids is not None:
        query = query.where(incident_in_kecamatan(kecamatan_ids))
    return query
