"""Medic stations (pos kesehatan) and health facilities."""
from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint

from api.fields import Id
from sqlalchemy import select

from api.auth import requires_scope
from api.pagination import ListArgsSchema, conditional_json, list_body, paginate
from api.privacy import redact_all, scoped
from api.resources.common import page_schema
from logistics.models import FacilityKind, HealthFacility, MedicStation

blp = Blueprint("api_health", __name__, url_prefix="/api/v1", description="Medic stations and health facilities")


class MedicStationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kecamatan_id = ma.fields.Integer(required=True)
    base_facility_id = ma.fields.Integer(allow_none=True)
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    ambulances = ma.fields.Integer(required=True)
    hours_from = ma.fields.Time(required=True, metadata={"description": "Local time of the station's area (its time_zone)"})
    hours_to = ma.fields.Time(required=True, metadata={"description": "Local time; earlier than hours_from: past midnight"})
    contact_phone = ma.fields.String(allow_none=True, metadata={"description": "Only with read:health-pii."})


class FacilitySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.Enum(FacilityKind, by_value=True, required=True)
    address = ma.fields.String(allow_none=True)
    kelurahan_id = ma.fields.Integer(allow_none=True)
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    position_approximate = ma.fields.Boolean(required=True)


class StationArgs(ListArgsSchema):
    kecamatan_id = Id()


StationPage = page_schema(MedicStationSchema, "MedicStationPage", {
    "id": 1, "code": "POSKES-1971010", "name": "Pos Kesehatan Kecamatan Bukit Intan", "kecamatan_id": 1,
    "base_facility_id": 2, "lat": -2.12, "lon": 106.11, "ambulances": 1, "hours_from": "05:00:00",
    "hours_to": "02:00:00"})
FacilityPage = page_schema(FacilitySchema, "HealthFacilityPage", {
    "id": 2, "code": "1071014", "name": "Puskesmas Gerunggang", "kind": "puskesmas", "address": "Jl. ...",
    "kelurahan_id": 5, "lat": -2.14, "lon": 106.10, "position_approximate": False})


@blp.route("/medic-stations", methods=["GET"])
@requires_scope("read:incidents")
@blp.arguments(StationArgs, location="query", as_kwargs=False)
@blp.response(200, StationPage)
def list_medic_stations(args):
    query = scoped(select(MedicStation), MedicStation)
    if args.get("kecamatan_id") is not None:
        query = query.where(MedicStation.kecamatan_id == args["kecamatan_id"])
    rows, next_cursor, sync_cursor = paginate(query, MedicStation, args, synced=False)
    items = redact_all("medic_station", MedicStationSchema(many=True).dump(rows))
    return conditional_json(list_body(items, next_cursor, sync_cursor), next_cursor=next_cursor)


@blp.route("/health-facilities", methods=["GET"])
@requires_scope("read:incidents")
@blp.arguments(ListArgsSchema, location="query", as_kwargs=False)
@blp.response(200, FacilityPage)
def list_health_facilities(args):
    rows, next_cursor, sync_cursor = paginate(scoped(select(HealthFacility), HealthFacility), HealthFacility, args, synced=False)
    return conditional_json(list_body(FacilitySchema(many=True).dump(rows), next_cursor, sync_cursor),
                            next_cursor=next_cursor)
