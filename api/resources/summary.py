"""The dashboard's per-kecamatan figures (logistics.queries.summary), for one election day."""
from __future__ import annotations

from datetime import time, timedelta

import marshmallow as ma
from flask_smorest import Blueprint

from api.fields import Id, Day

from api.auth import current_caller, requires
from logistics.errors import PermissionDenied
from logistics.permissions.read_scope import kecamatan_ids, require_kecamatan_view
from logistics.queries.summary import city_totals, kecamatan_summary
from logistics.timeutil import utcnow, wib
from siaga.election import election_day
from siaga.extensions import db

blp = Blueprint("api_summary", __name__, url_prefix="/api/v1", description="Dashboard figures")

MEALS = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer()),
                       metadata={"example": {"pagi": {"planned": 44, "delivered": 40, "failed": 1, "late": 3}}})
TRIAGE = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                        metadata={"example": {"hijau": 1, "kuning": 0, "merah": 1, "hitam": 0}})


class FiguresSchema(ma.Schema):
    tps_total = ma.fields.Integer(required=True)
    dpt = ma.fields.Integer(required=True)
    tps_opened = ma.fields.Integer(required=True)
    tps_closed = ma.fields.Integer(required=True)
    meals = MEALS
    deliveries_late = ma.fields.Integer(required=True)
    incidents_open = TRIAGE
    medic_stations = ma.fields.Integer(required=True)
    medic_stations_staffed = ma.fields.Integer(required=True)


class KecamatanFiguresSchema(FiguresSchema):
    kecamatan_id = ma.fields.Integer(required=True)
    kode = ma.fields.String(required=True)
    nama = ma.fields.String(required=True)


class SummarySchema(ma.Schema):
    date = ma.fields.Date(required=True)
    generated_at = ma.fields.AwareDateTime(required=True)
    kecamatan = ma.fields.List(ma.fields.Nested(KecamatanFiguresSchema), required=True)
    city = ma.fields.Nested(FiguresSchema, required=True)


class SummaryArgs(ma.Schema):
    date = Day(metadata={"description": "Election day (WIB), default the configured ELECTION_DATE."})
    kecamatan_id = Id()


@blp.route("/summary", methods=["GET"])
@requires("read:summary")
@blp.arguments(SummaryArgs, location="query", as_kwargs=False)
@blp.response(200, SummarySchema)
def summary(args):
    """Per-kecamatan figures of the day and the city's totals (the coordinators' dashboard)."""
    day = args.get("date") or election_day()
    now = utcnow()
    actor = current_caller().actor
    require_kecamatan_view(actor)
    ids = kecamatan_ids(actor)
    if args.get("kecamatan_id") is not None:
        if ids is not None and args["kecamatan_id"] not in ids:
            raise PermissionDenied("Kecamatan ini di luar wilayah Anda / outside your scope")
        ids = [args["kecamatan_id"]]
    rows = kecamatan_summary(db.session, now, wib(day, time(0)), wib(day + timedelta(days=1), time(0)), ids)
    return {"date": day, "generated_at": now, "kecamatan": rows, "city": city_totals(rows)}
