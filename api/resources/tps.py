"""TPS: list (filters, bounding box, JSON or GeoJSON), one TPS, and the field app's status posts."""
from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask_smorest import Blueprint

from api.fields import Id, Moment
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from api.auth import current_caller, requires_scope
from api.pagination import paginate
from api.query import NoQuery
from api.privacy import load_in_scope, scoped
from api.resources.common import SyncFormatArgs, TpsCodeArgs, geojson_doc, page_schema, synced_list, tps_code_filters
from logistics.errors import ValidationFailed
from logistics.models import Kelurahan, Tps, TpsKind, TpsStatus
from logistics.services.tps_status import MAX_OFFICERS_ON_SITE, advance_tps_status, report_officers_present
from siaga.extensions import db
from siaga.i18n import _
from siaga.idempotency import idempotent

blp = Blueprint("api_tps", __name__, url_prefix="/api/v1", description="Polling stations (TPS)")


class TpsSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    number = ma.fields.Integer(required=True)
    kelurahan_id = ma.fields.Integer(required=True)
    kecamatan_id = ma.fields.Function(lambda t: t.kelurahan.kecamatan_id, metadata={"type": "integer"})
    time_zone = ma.fields.Function(lambda t: t.zone.name, metadata={"description": "The area's time zone: WIB, WITA or WIT (times in this API are UTC).", "example": "WIB"})
    kind = ma.fields.Enum(TpsKind, by_value=True, required=True)
    special_location = ma.fields.String(allow_none=True)
    address = ma.fields.String(required=True)
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    position_synthetic = ma.fields.Boolean(required=True)
    position_approximate = ma.fields.Boolean(required=True)
    dpt = ma.fields.Integer(required=True, allow_none=True)
    status = ma.fields.Enum(TpsStatus, by_value=True, required=True)
    officers_present = ma.fields.Integer(allow_none=True)
    officers_reported_at = ma.fields.AwareDateTime(allow_none=True)
    opened_at = ma.fields.AwareDateTime(allow_none=True)
    voting_closed_at = ma.fields.AwareDateTime(allow_none=True)
    counted_at = ma.fields.AwareDateTime(allow_none=True)
    handed_over_at = ma.fields.AwareDateTime(allow_none=True)
    drill = ma.fields.Boolean(metadata={"description": "A training drill's (gladi) TPS day state, not a real one."})
    updated_at = ma.fields.AwareDateTime(required=True)


# One instance, made once: building a marshmallow schema deep-copies its declared fields (≈ 0.3 ms, a
# noticeable share of an election-day post, docs/PERFORMANCE.md); dumping with it is stateless.
TPS_SCHEMA = TpsSchema()

TPS_EXAMPLE = {"id": 1, "code": "19.71.01.1004-001", "label": "TPS 001", "number": 1, "kelurahan_id": 4,
               "kecamatan_id": 1, "time_zone": "WIB", "kind": "regular", "special_location": None, "address": "Jl. Semabung Lama",
               "lat": -2.131, "lon": 106.112, "position_synthetic": True,
               "position_approximate": False, "dpt": 540, "status": "open",
               "officers_present": 7, "officers_reported_at": "2025-08-26T23:10:00+00:00",
               "opened_at": "2025-08-27T00:02:00+00:00", "voting_closed_at": None, "counted_at": None,
               "handed_over_at": None, "updated_at": "2025-08-27T00:02:00+00:00"}
TpsPage = page_schema(TpsSchema, "TpsPage", TPS_EXAMPLE, synced=True)


class TpsListArgs(SyncFormatArgs, TpsCodeArgs):
    kecamatan_id = Id()
    kelurahan_id = Id()
    status = ma.fields.Enum(TpsStatus, by_value=True)
    bbox = ma.fields.String(metadata={"description": "min_lon,min_lat,max_lon,max_lat",
                                      "example": "106.08,-2.17,106.15,-2.10"})


class TpsStatusBody(ma.Schema):
    status = ma.fields.Enum(TpsStatus, by_value=True, required=True, metadata={"example": "open"})
    at = Moment(metadata={"description": "When it happened (default: now), with a zone."})


class OfficersBody(ma.Schema):
    count = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(0, MAX_OFFICERS_ON_SITE), metadata={"example": 7})
    at = Moment()


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in text.split(","))
    except ValueError:
        raise ValidationFailed(_("bbox tidak sah"), {"bbox": _("Empat angka: min_lon,min_lat,max_lon,max_lat.")})
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationFailed(_("bbox tidak sah"), {"bbox": _("Urutan atau rentang koordinat salah.")})
    return min_lon, min_lat, max_lon, max_lat


def tps_response(tps: Tps, status: int = 200):
    return jsonify(TPS_SCHEMA.dump(tps)), status


@blp.route("/tps", methods=["GET"])
@requires_scope("read:tps")
@blp.arguments(TpsListArgs, location="query", as_kwargs=False)
@blp.response(200, TpsPage)
@blp.doc(**geojson_doc(TpsPage))
def list_tps(args):
    """TPS with their status; filter by kecamatan, kelurahan, official codes (Kemendagri area, KPU TPS), status,
    bbox; format=geojson for points."""
    query = scoped(select(Tps).options(joinedload(Tps.kelurahan)), Tps)
    if args.get("kecamatan_id") is not None:
        query = query.join(Kelurahan, Tps.kelurahan_id == Kelurahan.id).where(Kelurahan.kecamatan_id == args["kecamatan_id"])
    if args.get("kelurahan_id") is not None:
        query = query.where(Tps.kelurahan_id == args["kelurahan_id"])
    if args.get("status") is not None:
        query = query.where(Tps.status == args["status"])
    if args.get("bbox"):
        min_lon, min_lat, max_lon, max_lat = parse_bbox(args["bbox"])
        query = query.where(Tps.lon.between(min_lon, max_lon), Tps.lat.between(min_lat, max_lat))
    query = query.where(*tps_code_filters(args))
    rows, next_cursor, sync_cursor = paginate(query, Tps, args)
    return synced_list(args, "tps", TpsSchema(many=True).dump(rows), next_cursor, sync_cursor,
                       lambda item: (item["lon"], item["lat"]))


@blp.route("/tps/<int(max=2147483647):tps_id>", methods=["GET"])
@requires_scope("read:tps")
@blp.arguments(NoQuery, location="query", as_kwargs=True)
@blp.response(200, TpsSchema, example=TPS_EXAMPLE)
def get_tps(tps_id):
    return jsonify(TPS_SCHEMA.dump(load_in_scope(Tps, tps_id, "TPS")))


@blp.route("/tps/<int(max=2147483647):tps_id>/status", methods=["POST"])
@requires_scope("write:tps-status")
@blp.arguments(TpsStatusBody(), example={"status": "open", "at": "2025-08-27T07:02:00+07:00"})
@blp.response(200, TpsSchema, example=TPS_EXAMPLE)
@idempotent
def post_tps_status(body, tps_id):
    """Post the TPS's next status step (the day only runs forward; 409 otherwise)."""
    tps = advance_tps_status(db.session, current_caller().actor, tps_id, body["status"], at=body.get("at"))
    return tps_response(tps)


@blp.route("/tps/<int(max=2147483647):tps_id>/officers", methods=["POST"])
@requires_scope("write:tps-status")
@blp.arguments(OfficersBody(), example={"count": 7})
@blp.response(200, TpsSchema, example=TPS_EXAMPLE)
@idempotent
def post_officers(body, tps_id):
    """Report how many officers are on site."""
    tps = report_officers_present(db.session, current_caller().actor, tps_id, body["count"], at=body.get("at"))
    return tps_response(tps)
