"""Health incidents: list (triage, status, since), one incident, report one, and care steps."""
from __future__ import annotations

import marshmallow as ma
from flask import jsonify, url_for
from flask_smorest import Blueprint

from api.fields import Id, Moment, Text
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.auth import current_caller, requires_scope
from api.pagination import paginate
from api.query import NoQuery
from api.privacy import load_in_scope, redact, redact_all, scoped
from api.resources.common import SyncFormatArgs, TpsCodeArgs, geojson_doc, page_schema, synced_list, tps_code_filters
from logistics.models import HealthIncident, IncidentStatus, PatientKind, Tps, Triage
from logistics.services.incidents import advance_incident, report_incident
from logistics.timeutil import as_utc
from siaga.extensions import db
from siaga.idempotency import idempotent

blp = Blueprint("api_incidents", __name__, url_prefix="/api/v1", description="Health incidents")
PII = "Only with read:health-pii."


class IncidentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    occurred_at = ma.fields.AwareDateTime(required=True)
    reported_at = ma.fields.AwareDateTime(required=True)
    tps_id = ma.fields.Integer(allow_none=True)
    lat = ma.fields.Float(allow_none=True, metadata={"description": "Position given with the report (null at a TPS)."})
    lon = ma.fields.Float(allow_none=True)
    effective_lat = ma.fields.Float(allow_none=True, metadata={
        "description": "Where the incident is: `lat` when given, else its TPS's latitude."})
    effective_lon = ma.fields.Float(allow_none=True, metadata={
        "description": "Where the incident is: `lon` when given, else its TPS's longitude."})
    patient_kind = ma.fields.Enum(PatientKind, by_value=True, required=True)
    patient_name = ma.fields.String(allow_none=True, metadata={"description": PII})
    complaint = ma.fields.String(required=True)
    triage = ma.fields.Enum(Triage, by_value=True, required=True)
    status = ma.fields.Enum(IncidentStatus, by_value=True, required=True)
    medic_station_id = ma.fields.Integer(allow_none=True)
    referral_facility_id = ma.fields.Integer(allow_none=True)
    notes = ma.fields.String(allow_none=True, metadata={"description": PII})
    responding_at = ma.fields.AwareDateTime(allow_none=True)
    treated_at = ma.fields.AwareDateTime(allow_none=True)
    referred_at = ma.fields.AwareDateTime(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    drill = ma.fields.Boolean(metadata={"description": "A training drill's (gladi) incident, not a real one."})
    updated_at = ma.fields.AwareDateTime(required=True)


INCIDENT_EXAMPLE = {"id": 3, "occurred_at": "2025-08-27T06:40:00+00:00", "reported_at": "2025-08-27T06:42:00+00:00",
                    "tps_id": 1, "lat": None, "lon": None,
                    "effective_lat": -2.1432, "effective_lon": 106.1175, "patient_kind": "officer", "complaint": "pingsan",
                    "triage": "kuning", "status": "responding", "medic_station_id": 2, "referral_facility_id": None,
                    "responding_at": "2025-08-27T06:50:00+00:00", "treated_at": None, "referred_at": None,
                    "closed_at": None, "updated_at": "2025-08-27T06:50:00+00:00"}
IncidentPage = page_schema(IncidentSchema, "IncidentPage", INCIDENT_EXAMPLE, synced=True)


class IncidentListArgs(SyncFormatArgs, TpsCodeArgs):
    triage = ma.fields.Enum(Triage, by_value=True)
    status = ma.fields.Enum(IncidentStatus, by_value=True)
    since = Moment(metadata={"description": "Occurred at or after (ISO 8601 with a zone)."})
    tps_id = Id()
    medic_station_id = Id()


class IncidentReportBody(ma.Schema):
    patient_kind = ma.fields.Enum(PatientKind, by_value=True, required=True, metadata={"example": "officer"})
    complaint = Text(HealthIncident.complaint, min_length=1, required=True, metadata={"example": "pingsan"})
    triage = ma.fields.Enum(Triage, by_value=True, required=True, metadata={"example": "kuning"})
    tps_id = Id(strict=True, metadata={"description": "The TPS, or give lat and lon."})
    lat = ma.fields.Float(validate=ma.validate.Range(-90, 90), allow_nan=False)
    lon = ma.fields.Float(validate=ma.validate.Range(-180, 180), allow_nan=False)
    patient_name = Text(HealthIncident.patient_name)
    notes = Text(HealthIncident.notes)
    occurred_at = Moment()


class IncidentStepBody(ma.Schema):
    status = ma.fields.Enum(IncidentStatus, by_value=True, required=True, metadata={"example": "responding"})
    referral_facility_id = Id(strict=True, metadata={"description": "Required for `referred`."})
    notes = Text(HealthIncident.notes)
    at = Moment()


@blp.route("/incidents", methods=["GET"])
@requires_scope("read:incidents")
@blp.arguments(IncidentListArgs, location="query", as_kwargs=False)
@blp.response(200, IncidentPage)
@blp.doc(**geojson_doc(IncidentPage))
def list_incidents(args):
    """Incidents, ordered by (updated_at, id) for incremental sync; filter by triage, status, since, official codes
    (of their TPS); format=geojson for points at their effective position."""
    query = scoped(select(HealthIncident).options(selectinload(HealthIncident.tps)), HealthIncident)
    for name in ("triage", "status", "tps_id", "medic_station_id"):
        if args.get(name) is not None:
            query = query.where(getattr(HealthIncident, name) == args[name])
    if args.get("since") is not None:
        query = query.where(HealthIncident.occurred_at >= as_utc(args["since"]))
    codes = tps_code_filters(args)
    if codes:
        query = query.where(HealthIncident.tps_id.in_(select(Tps.id).where(*codes)))
    rows, next_cursor, sync_cursor = paginate(query, HealthIncident, args)
    items = redact_all("incident", IncidentSchema(many=True).dump(rows))
    return synced_list(args, "health_incident", items, next_cursor, sync_cursor,
                       lambda item: (item["effective_lon"], item["effective_lat"]))


@blp.route("/incidents/<int(max=2147483647):incident_id>", methods=["GET"])
@requires_scope("read:incidents")
@blp.arguments(NoQuery, location="query", as_kwargs=True)
@blp.response(200, IncidentSchema, example=INCIDENT_EXAMPLE)
def get_incident(incident_id):
    return jsonify(redact("incident", IncidentSchema().dump(load_in_scope(HealthIncident, incident_id, "Kejadian"))))


@blp.route("/incidents", methods=["POST"])
@requires_scope("write:incidents")
@blp.arguments(IncidentReportBody, example={"patient_kind": "officer", "complaint": "pingsan", "triage": "kuning",
                                            "tps_id": 1})
@blp.response(201, IncidentSchema, example=INCIDENT_EXAMPLE)
@idempotent
def post_incident(body):
    """Report an incident at a TPS or a position; the nearest medic station is assigned."""
    incident = report_incident(db.session, current_caller().actor, **body)
    return (jsonify(redact("incident", IncidentSchema().dump(incident))), 201,
            {"Location": url_for("api_incidents.get_incident", incident_id=incident.id)})


@blp.route("/incidents/<int(max=2147483647):incident_id>/steps", methods=["POST"])
@requires_scope("write:incidents")
@blp.arguments(IncidentStepBody, example={"status": "responding"})
@blp.response(200, IncidentSchema, example=INCIDENT_EXAMPLE)
@idempotent
def post_incident_step(body, incident_id):
    """A care step: responding, treated_on_site, referred (with a facility) or closed."""
    incident = advance_incident(db.session, current_caller().actor, incident_id, body["status"],
                                referral_facility_id=body.get("referral_facility_id"), notes=body.get("notes"),
                                at=body.get("at"))
    return jsonify(redact("incident", IncidentSchema().dump(incident))), 200
