"""Kecamatan and kelurahan, as JSON or GeoJSON (boundaries)."""
from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask_smorest import Blueprint

from api.fields import Id
from sqlalchemy import or_, select

from api.auth import requires_scope
from api.pagination import conditional_json, list_body, paginate
from api.privacy import load_in_scope, scoped
from api.query import NoQuery
from api.resources.common import GEOJSON, AreaCodeArgs, ListFormatArgs, feature_collection, geojson_doc, page_schema
from logistics.models import Kecamatan, Kelurahan

blp = Blueprint("api_wilayah", __name__, url_prefix="/api/v1", description="Wilayah: kecamatan and kelurahan")


class AreaSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kode_kemendagri = ma.fields.String(required=True)
    kode_bps = ma.fields.String(allow_none=True)
    nama = ma.fields.String(required=True)
    bbox = ma.fields.Method("_bbox", metadata={"description": "[min_lon, min_lat, max_lon, max_lat]"})
    label_point = ma.fields.Method("_label", metadata={"description": "{lat, lon} for a label"})
    time_zone = ma.fields.Function(lambda area: area.zone.name, metadata={"description": "The area's time zone: WIB, WITA or WIT (times in this API are UTC).", "example": "WIB"})

    def _bbox(self, area):
        return [area.min_lon, area.min_lat, area.max_lon, area.max_lat]

    def _label(self, area):
        return {"lat": area.label_lat, "lon": area.label_lon}


class KecamatanSchema(AreaSchema):
    kota_id = ma.fields.Integer(required=True)


class KelurahanSchema(AreaSchema):
    kecamatan_id = ma.fields.Integer(required=True)
    jenis = ma.fields.String(required=True, metadata={"example": "kelurahan"})


class AreaListArgs(ListFormatArgs, AreaCodeArgs):
    pass


class KelurahanArgs(AreaListArgs):
    kecamatan_id = Id()


KEC_EXAMPLE = {"id": 1, "kode_kemendagri": "19.71.01", "kode_bps": "1971010", "nama": "Bukit Intan", "kota_id": 1,
               "bbox": [106.08, -2.17, 106.15, -2.10], "label_point": {"lat": -2.13, "lon": 106.11},
               "time_zone": "WIB"}
KecamatanPage = page_schema(KecamatanSchema, "KecamatanPage", KEC_EXAMPLE)
KEL_EXAMPLE = {**{k: v for k, v in KEC_EXAMPLE.items() if k != "kota_id"}, "id": 4, "kode_kemendagri": "19.71.01.1004",
               "kode_bps": "1971010004", "nama": "Semabung Lama", "kecamatan_id": 1, "jenis": "kelurahan"}
KelurahanPage = page_schema(KelurahanSchema, "KelurahanPage", KEL_EXAMPLE)


def area_code_filters(model, args: dict) -> list:
    """The area itself or those within the Kemendagri code asked (codes nest: 19.71.01 is in 19.71)."""
    kode = args.get("kode_kemendagri")
    if not kode:
        return []
    return [or_(model.kode_kemendagri == kode, model.kode_kemendagri.startswith(kode + ".", autoescape=True))]


def _respond(rows, schema, args, next_cursor, sync_cursor):
    items = schema(many=True).dump(rows)
    if args["format"] == "geojson":
        features = [{"type": "Feature", "id": item["id"], "geometry": row.boundary, "properties": item}
                    for row, item in zip(rows, items)]
        return conditional_json(feature_collection(features, next_cursor, sync_cursor),
                                next_cursor=next_cursor, mimetype=GEOJSON)
    return conditional_json(list_body(items, next_cursor, sync_cursor), next_cursor=next_cursor)


@blp.route("/kecamatan", methods=["GET"])
@requires_scope("read:wilayah")
@blp.arguments(AreaListArgs, location="query", as_kwargs=False)
@blp.response(200, KecamatanPage)
@blp.doc(**geojson_doc(KecamatanPage))
def list_kecamatan(args):
    """Kecamatan (format=geojson: with boundaries)."""
    query = scoped(select(Kecamatan), Kecamatan).where(*area_code_filters(Kecamatan, args))
    rows, next_cursor, sync_cursor = paginate(query, Kecamatan, args, synced=False)
    return _respond(rows, KecamatanSchema, args, next_cursor, sync_cursor)


@blp.route("/kecamatan/<int(max=2147483647):kecamatan_id>", methods=["GET"])
@requires_scope("read:wilayah")
@blp.arguments(NoQuery, location="query", as_kwargs=True)
@blp.response(200, KecamatanSchema, example=KEC_EXAMPLE)
def get_kecamatan(kecamatan_id):
    return jsonify(KecamatanSchema().dump(load_in_scope(Kecamatan, kecamatan_id, "Kecamatan")))


@blp.route("/kelurahan", methods=["GET"])
@requires_scope("read:wilayah")
@blp.arguments(KelurahanArgs, location="query", as_kwargs=False)
@blp.response(200, KelurahanPage)
@blp.doc(**geojson_doc(KelurahanPage))
def list_kelurahan(args):
    """Kelurahan, optionally of one kecamatan (format=geojson: with boundaries)."""
    query = scoped(select(Kelurahan), Kelurahan).where(*area_code_filters(Kelurahan, args))
    if args.get("kecamatan_id") is not None:
        query = query.where(Kelurahan.kecamatan_id == args["kecamatan_id"])
    rows, next_cursor, sync_cursor = paginate(query, Kelurahan, args, synced=False)
    return _respond(rows, KelurahanSchema, args, next_cursor, sync_cursor)
