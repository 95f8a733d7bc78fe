"""Pieces every resource module shares: format switch, GeoJSON, list schemas."""
from __future__ import annotations

import marshmallow as ma

from api.pagination import SyncArgsSchema, ListArgsSchema

GEOJSON = "application/geo+json"


class FormatArgs(ma.Schema):
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "geojson"]),
                              metadata={"description": "`geojson` for a GeoJSON FeatureCollection."})


class ListFormatArgs(ListArgsSchema, FormatArgs):
    pass


class SyncFormatArgs(SyncArgsSchema, FormatArgs):
    pass


def page_schema(item_schema: type[ma.Schema], name: str, example: dict) -> type[ma.Schema]:
    """A list response schema: items plus the pagination members."""
    return ma.Schema.from_dict({
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True,
                                metadata={"example": [example]}),
        "count": ma.fields.Integer(required=True),
        "next_cursor": ma.fields.String(allow_none=True, required=True),
        "sync_cursor": ma.fields.String(allow_none=True, required=True),
    }, name=name)


class FeatureSchema(ma.Schema):
    type = ma.fields.String(required=True, metadata={"example": "Feature"})
    id = ma.fields.Integer(required=True)
    geometry = ma.fields.Dict(allow_none=True, required=True,
                              metadata={"description": "GeoJSON Point (TPS) or Polygon/MultiPolygon (areas)"})
    properties = ma.fields.Dict(required=True, metadata={"description": "The record, as in the JSON list"})


class FeatureCollectionSchema(ma.Schema):
    type = ma.fields.String(required=True, metadata={"example": "FeatureCollection"})
    features = ma.fields.List(ma.fields.Nested(FeatureSchema), required=True)
    count = ma.fields.Integer(required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)
    sync_cursor = ma.fields.String(allow_none=True, required=True)


def geojson_doc(page: type[ma.Schema]) -> dict:
    """For @blp.doc(**geojson_doc(Page)): the list's two 200 bodies, JSON and (format=geojson) GeoJSON."""
    return {"responses": {"200": {"description": "OK", "content": {"application/json": {"schema": page},
                                              GEOJSON: {"schema": FeatureCollectionSchema}}}}}


def point_feature(record: dict, lon: float | None, lat: float | None) -> dict:
    geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
    return {"type": "Feature", "id": record["id"], "geometry": geometry, "properties": record}


def feature_collection(features: list[dict], next_cursor: str | None, sync_cursor: str | None) -> dict:
    return {"type": "FeatureCollection", "features": features, "count": len(features),
            "next_cursor": next_cursor, "sync_cursor": sync_cursor}
