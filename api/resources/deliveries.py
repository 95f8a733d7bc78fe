"""Meal and logistics deliveries: list (kind, status, TPS, late), one delivery, and delivery steps."""
from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask_smorest import Blueprint

from api.fields import Id, Moment, Text
from sqlalchemy import not_, or_, select

from api.auth import current_caller, requires_scope
from api.pagination import paginate
from api.query import NoQuery
from api.privacy import load_in_scope, redact, redact_all, scoped
from api.resources.common import SyncFormatArgs, TpsCodeArgs, geojson_doc, page_schema, synced_list, tps_code_filters
from logistics.models import Delivery, DeliveryKind, DeliveryStatus, Kelurahan, MealRound, Tps
from logistics.rules.lifecycles.delivery import arrived_late, arrived_late_sql, is_late, is_late_sql
from logistics.services.deliveries import advance_delivery
from siaga.election import election_now
from logistics.settings import settings_for
from siaga.extensions import db
from siaga.idempotency import idempotent

blp = Blueprint("api_deliveries", __name__, url_prefix="/api/v1", description="Meal and logistics deliveries")


def _grace():
    """How late is late: the election setting (read once per request)."""
    return settings_for(db.session).meal_late


class DeliverySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    ref = ma.fields.String(required=True)
    tps_id = ma.fields.Integer(required=True)
    kind = ma.fields.Enum(DeliveryKind, by_value=True, required=True)
    meal_round = ma.fields.Enum(MealRound, by_value=True, allow_none=True, metadata={"type": "string"})
    item = ma.fields.String(allow_none=True)
    unit = ma.fields.String(required=True)
    quantity_planned = ma.fields.Integer(required=True)
    planned_at = ma.fields.AwareDateTime(required=True)
    status = ma.fields.Enum(DeliveryStatus, by_value=True, required=True)
    courier_id = ma.fields.Integer(allow_none=True)
    dispatched_at = ma.fields.AwareDateTime(allow_none=True)
    arrived_at = ma.fields.AwareDateTime(allow_none=True, metadata={
        "description": "The courier's \"sampai\". Status `arrived` = there, not yet confirmed by the TPS "
                       "(quantity and receiver come with `delivered`)."})
    delivered_at = ma.fields.AwareDateTime(allow_none=True)
    failed_at = ma.fields.AwareDateTime(allow_none=True)
    quantity_received = ma.fields.Integer(allow_none=True)
    quantity_damaged = ma.fields.Integer(allow_none=True, metadata={"description": "Logistics items received broken."})
    vendor_id = ma.fields.Integer(allow_none=True)
    route_seq = ma.fields.Integer(allow_none=True, metadata={"description": "Stop number on the courier's tour."})
    eta_at = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "The courier's estimated arrival."})
    overdue = ma.fields.Function(lambda d: is_late(d.status, d.planned_at, election_now(), _grace()),
                                 metadata={"type": "boolean", "description": "Late now: not reached (arrived, "
                                           "delivered or failed) 30 min after planned, or the election setting."})
    arrived_late = ma.fields.Function(lambda d: arrived_late(d.planned_at, d.arrived_at, d.delivered_at, _grace()),
                                      metadata={"type": "boolean", "description": "Got there (arrived, else "
                                                                                  "delivered) after that deadline."})
    received_by = ma.fields.String(allow_none=True, metadata={"description": "Only with read:health-pii."})
    failure_reason = ma.fields.String(allow_none=True, metadata={"description": "Only with read:health-pii."})
    notes = ma.fields.String(allow_none=True, metadata={"description": "Only with read:health-pii."})
    drill = ma.fields.Boolean(metadata={"description": "Moved by a training drill (gladi), not a real delivery."})
    updated_at = ma.fields.AwareDateTime(required=True)


DELIVERY_EXAMPLE = {"id": 12, "ref": "meal-19.71.01.1004-001-siang", "tps_id": 1, "kind": "meal", "meal_round": "siang",
                    "item": None, "unit": "porsi", "quantity_planned": 9, "planned_at": "2025-08-27T05:00:00+00:00",
                    "status": "delivered", "courier_id": 3, "dispatched_at": "2025-08-27T04:40:00+00:00",
                    "delivered_at": "2025-08-27T05:05:00+00:00", "failed_at": None, "quantity_received": 9,
                    "overdue": False, "arrived_late": False, "updated_at": "2025-08-27T05:05:00+00:00"}
DeliveryPage = page_schema(DeliverySchema, "DeliveryPage", DELIVERY_EXAMPLE, synced=True)


class DeliveryListArgs(SyncFormatArgs, TpsCodeArgs):
    kind = ma.fields.Enum(DeliveryKind, by_value=True)
    status = ma.fields.Enum(DeliveryStatus, by_value=True)
    tps_id = Id()
    kecamatan_id = Id()
    late = ma.fields.Boolean(metadata={"description": "true: overdue now or arrived late; false: neither."})


class DeliveryStepBody(ma.Schema):
    status = ma.fields.Enum(DeliveryStatus, by_value=True, required=True, metadata={"example": "delivered"})
    at = Moment()
    quantity_received = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 100000))
    quantity_damaged = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 100000),
                                         metadata={"description": "Logistics items only: how many arrived broken."})
    received_by = Text(Delivery.received_by)
    reason = Text(Delivery.failure_reason, metadata={"description": "Why it failed."})


@blp.route("/deliveries", methods=["GET"])
@requires_scope("read:deliveries")
@blp.arguments(DeliveryListArgs, location="query", as_kwargs=False)
@blp.response(200, DeliveryPage)
@blp.doc(**geojson_doc(DeliveryPage))
def list_deliveries(args):
    """Deliveries; filter by kind, status, TPS, kecamatan, official codes (of their TPS), late; format=geojson for
    points at their TPS."""
    query = scoped(select(Delivery), Delivery)
    for name in ("kind", "status", "tps_id"):
        if args.get(name) is not None:
            query = query.where(getattr(Delivery, name) == args[name])
    if args.get("kecamatan_id") is not None:
        query = (query.join(Tps, Delivery.tps_id == Tps.id).join(Kelurahan, Tps.kelurahan_id == Kelurahan.id)
                 .where(Kelurahan.kecamatan_id == args["kecamatan_id"]))
    codes = tps_code_filters(args)
    if codes:
        query = query.where(Delivery.tps_id.in_(select(Tps.id).where(*codes)))
    if args.get("late") is not None:
        # The fields' rules in SQL (their twins, logistics.rules.lifecycles.delivery), before paging:
        # a page of late deliveries is full.
        grace = _grace()
        late = or_(is_late_sql(Delivery.status, Delivery.planned_at, election_now(), grace),
                   arrived_late_sql(Delivery.planned_at, Delivery.arrived_at, Delivery.delivered_at, grace))
        query = query.where(late if args["late"] else not_(late))
    rows, next_cursor, sync_cursor = paginate(query, Delivery, args)
    items = DeliverySchema(many=True).dump(rows)
    positions = {}
    if args["format"] == "geojson" and items:
        positions = {row.id: (row.lon, row.lat) for row in db.session.execute(
            select(Tps.id, Tps.lon, Tps.lat).where(Tps.id.in_({item["tps_id"] for item in items})))}
    return synced_list(args, "delivery", redact_all("delivery", items), next_cursor, sync_cursor,
                       lambda item: positions.get(item["tps_id"], (None, None)))


@blp.route("/deliveries/<int(max=2147483647):delivery_id>", methods=["GET"])
@requires_scope("read:deliveries")
@blp.arguments(NoQuery, location="query", as_kwargs=True)
@blp.response(200, DeliverySchema, example=DELIVERY_EXAMPLE)
def get_delivery(delivery_id):
    return jsonify(redact("delivery", DeliverySchema().dump(load_in_scope(Delivery, delivery_id, "Pengiriman"))))


@blp.route("/deliveries/<int(max=2147483647):delivery_id>/steps", methods=["POST"])
@requires_scope("write:deliveries")
@blp.arguments(DeliveryStepBody, example={"status": "delivered", "quantity_received": 9, "received_by": "Ketua KPPS"})
@blp.response(200, DeliverySchema, example=DELIVERY_EXAMPLE)
@idempotent
def post_delivery_step(body, delivery_id):
    """Dispatched, delivered (with the receipt: quantity and receiver) or failed (with a reason)."""
    delivery = advance_delivery(db.session, current_caller().actor, delivery_id, body["status"], at=body.get("at"),
                                quantity_received=body.get("quantity_received"),
                                quantity_damaged=body.get("quantity_damaged"),
                                received_by=body.get("received_by"), reason=body.get("reason"))
    return jsonify(redact("delivery", DeliverySchema().dump(delivery))), 200
