"""The dashboard's per-kecamatan figures (logistics.queries.summary), for one election day."""
from __future__ import annotations

from urllib.parse import urlencode

import marshmallow as ma

from api.query import QueryArgs
from flask import request
from flask_smorest import Blueprint
from sqlalchemy import select

from api.fields import Id, Day

from api.auth import current_caller, requires_scope
from api.pagination import CURSOR_ERRORS, decode_cursor, encode_cursor, invalid_cursor
from logistics.errors import out_of_scope
from logistics.models import Kecamatan
from logistics.permissions.read_scope import kecamatan_ids, require_kecamatan_view
from logistics.queries.summary import city_totals, kecamatan_summary
from logistics.queries.zones import day_window
from siaga.election import clock_on, election_day
from siaga.extensions import db
from siaga.shared_figures import figure, shared

DEFAULT_PAGE, MAX_PAGE = 100, 1000
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
    generated_at = ma.fields.AwareDateTime(
        required=True, metadata={"description": "The election day's clock the figures were judged at."})
    kecamatan = ma.fields.List(ma.fields.Nested(KecamatanFiguresSchema), required=True,
                               metadata={"description": "One page of kecamatan, by Kemendagri code."})
    city = ma.fields.Nested(FiguresSchema, required=True,
                            metadata={"description": "Totals over every kecamatan in scope (all pages)."})
    count = ma.fields.Integer(required=True, metadata={"description": "Kecamatan on this page."})
    next_cursor = ma.fields.String(allow_none=True, required=True,
                                   metadata={"description": "Pass as `cursor` for the next page; null on the last."})


class SummaryArgs(QueryArgs):
    date = Day(metadata={"description": "Election day (a calendar date; each area judged on its own zone), default the configured ELECTION_DATE."})
    kecamatan_id = Id()
    kota_id = Id(metadata={"description": "Only the kecamatan of this kota."})
    limit = ma.fields.Integer(load_default=DEFAULT_PAGE, validate=ma.validate.Range(1, MAX_PAGE),
                              metadata={"description": f"Kecamatan per page, 1 to {MAX_PAGE}."})
    cursor = ma.fields.String(validate=ma.validate.Length(max=200),
                              metadata={"description": "Opaque cursor from `next_cursor` or the Link rel=next header."})


def _after(cursor: str | None) -> str | None:
    """The Kemendagri code a cursor points after."""
    if not cursor:
        return None
    try:
        (code,) = decode_cursor(cursor)
        if not isinstance(code, str) or len(code) > 13:
            raise ValueError(code)
        return code
    except CURSOR_ERRORS:
        raise invalid_cursor()


def _scope(ids: tuple[int, ...] | None, kota_id: int | None):
    scope = select(Kecamatan.id, Kecamatan.kode_kemendagri).order_by(Kecamatan.kode_kemendagri)
    if ids is not None:
        scope = scope.where(Kecamatan.id.in_(ids))
    if kota_id is not None:
        scope = scope.where(Kecamatan.kota_id == kota_id)
    return scope


@figure("summary-page")
def _page_of_figures(day, ids: tuple[int, ...] | None, kota_id: int | None, after: str | None, limit: int):
    """One page of kecamatan (one more than `limit`: is there a next?) and the figures of the page's."""
    start, end = day_window(db.session, day)
    scope = _scope(ids, kota_id)
    page = db.session.execute(scope.where(Kecamatan.kode_kemendagri > after) if after else scope).fetchmany(limit + 1)
    rows = kecamatan_summary(db.session, clock_on(day), start, end,
                             [k_id for k_id, _ in page[:limit]]) if page else []
    return page, rows


@figure("summary-city")
def _city_figures(day, ids: tuple[int, ...] | None, kota_id: int | None):
    start, end = day_window(db.session, day)
    in_scope = ids if kota_id is None else [k_id for k_id, _ in db.session.execute(_scope(ids, kota_id))]
    return city_totals(kecamatan_summary(db.session, clock_on(day), start, end, in_scope))


@blp.route("/summary", methods=["GET"])
@requires_scope("read:summary")
@blp.arguments(SummaryArgs, location="query", as_kwargs=False)
@blp.response(200, SummarySchema, headers={"Link": {"description": "rel=next: the next page", "schema": {"type": "string"}}})
def summary(args):
    """Per-kecamatan figures of the day, a page at a time (by Kemendagri code), and the totals over the
    whole scope (the coordinators' dashboard)."""
    day = args.get("date") or election_day()
    actor = current_caller().actor
    require_kecamatan_view(actor)
    ids = kecamatan_ids(actor)
    if args.get("kecamatan_id") is not None:
        if ids is not None and args["kecamatan_id"] not in ids:
            raise out_of_scope("Kecamatan", args["kecamatan_id"])
        ids = [args["kecamatan_id"]]
    # Figures are shared for a few seconds and kept fresh by the worker (siaga.shared_figures), like the
    # dashboard's; the totals cover every page, so they are computed once for all pages.
    scope = None if ids is None else tuple(sorted(ids))
    after = _after(args.get("cursor"))
    page, rows = shared("summary-page", day=day, ids=scope, kota_id=args.get("kota_id"), after=after,
                        limit=args["limit"])
    city = shared("summary-city", day=day, ids=scope, kota_id=args.get("kota_id"))
    now = clock_on(day)
    more = len(page) > args["limit"]
    page = page[:args["limit"]]
    next_cursor = encode_cursor([page[-1][1]]) if more else None
    if next_cursor:
        params = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"] + [("cursor", next_cursor)]
        response_headers = {"Link": f'<{request.base_url}?{urlencode(params)}>; rel="next"'}
    else:
        response_headers = {}
    body = {"date": day, "generated_at": now, "kecamatan": rows, "city": city, "count": len(rows),
            "next_cursor": next_cursor}
    return body, 200, response_headers
