"""Pieces every resource module shares: format switch, GeoJSON, list schemas, official-code filters."""
from __future__ import annotations

import re
from collections.abc import Callable

import marshmallow as ma
from sqlalchemy import or_

from api.pagination import ListArgsSchema, SyncArgsSchema, conditional_json, deletions, list_body
from api.query import QueryArgs
from logistics.models import Tps

GEOJSON = "application/geo+json"

# Kemendagri area codes: provinsi 19, kota 19.71, kecamatan 19.71.01, kelurahan 19.71.01.1004.
KODE_KEMENDAGRI = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
# A TPS as the KPU writes it: 13 digits (the kelurahan's 10 and the TPS number's 3), or as Siaga shows it.
KODE_TPS = re.compile(r"^(\d{13}|\d{2}\.\d{2}\.\d{2}\.\d{4}-\d{3})$")


class FormatArgs(QueryArgs):
    formats = ("json", "geojson")
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(formats),
                              metadata={"description": "`geojson` for a GeoJSON FeatureCollection "
                                                       f"(`{GEOJSON}`). Any other value is a 400."})


class ListFormatArgs(ListArgsSchema, FormatArgs):
    pass


class SyncFormatArgs(SyncArgsSchema, FormatArgs):
    pass


class AreaCodeArgs(QueryArgs):
    kode_kemendagri = ma.fields.String(
        validate=ma.validate.Regexp(KODE_KEMENDAGRI, error="Kode Kemendagri: 19, 19.71, 19.71.01 atau 19.71.01.1004."),
        metadata={"description": "A Kemendagri area code (kota, kecamatan or kelurahan): what lies in it.",
                  "example": "19.71.01"})


class TpsCodeArgs(AreaCodeArgs):
    kode_tps = ma.fields.String(
        validate=ma.validate.Regexp(KODE_TPS, error="13 angka (kode KPU) atau 19.71.01.1004-001."),
        metadata={"description": "The KPU's 13-digit TPS code (kelurahan code and TPS number), or "
                                 "Siaga's `19.71.01.1004-001`.", "example": "1971011004001"})


def tps_code(kode: str) -> str:
    """A TPS code in Siaga's form (`Tps.code`) from either form `TpsCodeArgs` takes."""
    if "." in kode:
        return kode
    return f"{kode[0:2]}.{kode[2:4]}.{kode[4:6]}.{kode[6:10]}-{kode[10:13]}"


def tps_code_filters(args: dict) -> list:
    """WHERE clauses on `Tps` for the official codes asked (a TPS's code begins with its kelurahan's)."""
    clauses = []
    if args.get("kode_kemendagri"):
        kode = args["kode_kemendagri"]
        clauses.append(or_(Tps.code.startswith(kode + ".", autoescape=True), Tps.code.startswith(kode + "-", autoescape=True)))
    if args.get("kode_tps"):
        clauses.append(Tps.code == tps_code(args["kode_tps"]))
    return clauses


class TombstoneSchema(ma.Schema):
    id = ma.fields.Integer(required=True, metadata={"description": "The id of the record that no longer exists."})
    deleted_at = ma.fields.AwareDateTime(required=True)


DELETED_DOC = ("Incremental pages only (a `cursor` or `updated_since`): records of this kind deleted since that "
               "moment (e.g. a training drill's incidents when it is wiped). Drop them. A deletion may be "
               "reported again; absent on a full sync's first page.")


def page_schema(item_schema: type[ma.Schema], name: str, example: dict, *, synced: bool = False) -> type[ma.Schema]:
    """A list response schema: items plus the pagination members (and `deleted` for synced lists)."""
    fields = {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True,
                                metadata={"example": [example]}),
        "count": ma.fields.Integer(required=True),
        "next_cursor": ma.fields.String(allow_none=True, required=True),
        "sync_cursor": ma.fields.String(allow_none=True, required=True),
    }
    if synced:
        fields["deleted"] = ma.fields.List(ma.fields.Nested(TombstoneSchema), metadata={"description": DELETED_DOC})
    return ma.Schema.from_dict(fields, name=name)


class FeatureSchema(ma.Schema):
    type = ma.fields.String(required=True, metadata={"example": "Feature"})
    id = ma.fields.Integer(required=True)
    geometry = ma.fields.Dict(allow_none=True, required=True,
                              metadata={"description": "GeoJSON Point (TPS, incidents, deliveries: their TPS) or "
                                                       "Polygon/MultiPolygon (areas); null without a position"})
    properties = ma.fields.Dict(required=True, metadata={"description": "The record, as in the JSON list"})


class FeatureCollectionSchema(ma.Schema):
    type = ma.fields.String(required=True, metadata={"example": "FeatureCollection"})
    features = ma.fields.List(ma.fields.Nested(FeatureSchema), required=True)
    count = ma.fields.Integer(required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)
    sync_cursor = ma.fields.String(allow_none=True, required=True)
    deleted = ma.fields.List(ma.fields.Nested(TombstoneSchema), metadata={"description": DELETED_DOC})


def geojson_doc(page: type[ma.Schema]) -> dict:
    """For @blp.doc(**geojson_doc(Page)): the list's two 200 bodies, JSON and (format=geojson) GeoJSON.

    The first media type's schema is either body: a client generated from the document (openapi-python-client
    reads the first media type of a status) then parses a GeoJSON page too, telling them apart by their members
    (`items` or `features`); the second says which one `application/geo+json` carries."""
    either = {"oneOf": [page, FeatureCollectionSchema]}
    return {"responses": {"200": {
        "description": f"OK: the page as JSON, or with `format=geojson` a FeatureCollection as `{GEOJSON}`.",
        "content": {"application/json": {"schema": either}, GEOJSON: {"schema": FeatureCollectionSchema}}}}}


def point_feature(record: dict, lon: float | None, lat: float | None) -> dict:
    geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
    return {"type": "Feature", "id": record["id"], "geometry": geometry, "properties": record}


def feature_collection(features: list[dict], next_cursor: str | None, sync_cursor: str | None) -> dict:
    return {"type": "FeatureCollection", "features": features, "count": len(features),
            "next_cursor": next_cursor, "sync_cursor": sync_cursor}


def synced_list(args: dict, entity_type: str, items: list[dict], next_cursor: str | None, sync_cursor: str | None,
                position: Callable[[dict], tuple[float | None, float | None]] | None = None):
    """A synced list's response: JSON, or GeoJSON points (`position(item)` gives (lon, lat)) when asked,
    with the page's tombstones under `deleted` (api.pagination.deletions)."""
    deleted = deletions(entity_type, args)
    if args.get("format") == "geojson":
        body = feature_collection([point_feature(item, *position(item)) for item in items], next_cursor, sync_cursor)
        if deleted is not None:
            body["deleted"] = deleted
        return conditional_json(body, next_cursor=next_cursor, sync_cursor=sync_cursor, mimetype=GEOJSON)
    return conditional_json(list_body(items, next_cursor, sync_cursor, deleted),
                            next_cursor=next_cursor, sync_cursor=sync_cursor)

