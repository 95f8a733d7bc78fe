"""Cursor pagination with Link headers, `updated_since` for incremental sync, ETag and 304.

Synced lists are ordered by (updated_at, id) and a cursor means "after this (updated_at, id)", so
rows sharing a timestamp are never skipped between pages. The last page still returns a cursor
(`X-Sync-Cursor` and `sync_cursor`): pass it next time to get only what changed since. A row cannot show
its own deletion: an incremental page (a cursor or `updated_since`) also lists under `deleted` the
tombstones (logistics/models/tombstone.py) of its kind since that moment.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime
from urllib.parse import urlencode

import marshmallow as ma
from flask import jsonify, request
from sqlalchemy import and_, or_, select
from sqlalchemy.sql import Select

from api.fields import MAX_ID, Moment
from api.query import QueryArgs
from logistics.errors import ValidationFailed
from logistics.timeutil import as_utc
from siaga.extensions import db
from siaga.i18n import _

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class ListArgsSchema(QueryArgs):
    limit = ma.fields.Integer(load_default=DEFAULT_LIMIT, validate=ma.validate.Range(1, MAX_LIMIT),
                              metadata={"description": f"Page size, 1 to {MAX_LIMIT}."})
    cursor = ma.fields.String(validate=ma.validate.Length(max=200),
                              metadata={"description": "Opaque cursor from a Link rel=next header or sync_cursor."})


class SyncArgsSchema(ListArgsSchema):
    updated_since = Moment(
        metadata={"description": "ISO 8601 with a zone, e.g. 2025-08-27T07:00:00+07:00: rows changed at or after it.",
                  "example": "2025-08-27T07:00:00+07:00"})


def encode_cursor(values: list) -> str:
    """An opaque cursor: the values the next page starts after, as unpadded URL-safe base64 JSON."""
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed(_("Cursor tidak sah"), {"cursor": _("Gunakan cursor dari respons sebelumnya.")})


def decode_cursor(cursor: str):
    """The values `encode_cursor` was given. Raises one of CURSOR_ERRORS for anything else; the caller
    checks the values' shape and answers `invalid_cursor()`."""
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


CURSOR_ERRORS = (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError)


def _decode(cursor: str, synced: bool) -> tuple[datetime | None, int]:
    try:
        values = decode_cursor(cursor)
        if synced:
            moment, row_id = values
            moment = as_utc(datetime.fromisoformat(moment))
        else:
            (row_id,) = values
            moment = None
        if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 <= row_id <= MAX_ID:
            raise ValueError(row_id)
        return moment, row_id
    except CURSOR_ERRORS:
        raise invalid_cursor()


def cursor_of(row, synced: bool) -> str:
    return encode_cursor([row.updated_at.isoformat(), row.id] if synced else [row.id])


def paginate(query: Select, model, args: dict, *, synced: bool = True) -> tuple[list, str | None, str | None]:
    """One page of `query`: (rows, next cursor or None, sync cursor)."""
    limit = args.get("limit", DEFAULT_LIMIT)
    if args.get("updated_since") is not None and synced:
        query = query.where(model.updated_at >= as_utc(args["updated_since"]))
    if args.get("cursor"):
        moment, row_id = _decode(args["cursor"], synced)
        if synced:
            query = query.where(or_(model.updated_at > moment, and_(model.updated_at == moment, model.id > row_id)))
        else:
            query = query.where(model.id > row_id)
    order = (model.updated_at, model.id) if synced else (model.id,)
    rows = list(db.session.scalars(query.order_by(*order).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursor_of(rows[-1], synced) if more else None
    sync_cursor = cursor_of(rows[-1], synced) if rows else args.get("cursor")
    return rows, next_cursor, sync_cursor


def deletions(entity_type: str, args: dict) -> list[dict] | None:
    """The tombstones of `entity_type` since the request's sync moment (its cursor's, else `updated_since`),
    oldest first; None for a full sync (no moment: what exists is all there is). A deletion may be reported
    again on a later page or sync (its moment is at or after the cursor's): ids make that harmless."""
    from logistics.models import Tombstone

    moment = None
    if args.get("cursor"):
        moment, _row_id = _decode(args["cursor"], True)
    elif args.get("updated_since") is not None:
        moment = as_utc(args["updated_since"])
    if moment is None:
        return None
    rows = db.session.execute(select(Tombstone.entity_id, Tombstone.deleted_at).where(
        Tombstone.entity_type == entity_type, Tombstone.deleted_at >= moment)
        .order_by(Tombstone.deleted_at, Tombstone.id)).all()
    return [{"id": row.entity_id, "deleted_at": row.deleted_at.isoformat()} for row in rows]


def page_url(cursor: str) -> str:
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"] + [("cursor", cursor)]
    return f"{request.base_url}?{urlencode(params)}"


def conditional_json(body: dict, *, next_cursor: str | None = None, sync_cursor: str | None = None,
                     mimetype: str = "application/json"):
    """The page as JSON with Link, X-Sync-Cursor and a strong ETag; 304 when If-None-Match matches."""
    response = jsonify(body)
    response.mimetype = mimetype
    if next_cursor:
        response.headers["Link"] = f'<{page_url(next_cursor)}>; rel="next"'
    if sync_cursor:
        response.headers["X-Sync-Cursor"] = sync_cursor
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Authorization")
    return response.make_conditional(request)


def list_body(items: list[dict], next_cursor: str | None, sync_cursor: str | None,
              deleted: list[dict] | None = None) -> dict:
    body = {"items": items, "count": len(items), "next_cursor": next_cursor, "sync_cursor": sync_cursor}
    if deleted is not None:
        body["deleted"] = deleted
    return body


