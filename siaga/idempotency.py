"""Idempotency keys: a retried or replayed submission never creates a second record.

A POST carrying a key (the `Idempotency-Key` header, or an `idempotency_key` form field from the
field pages' offline queue) is run once per caller; any retry with the same key and the same
body gets the first response again (marked `Idempotent-Replayed: true`); the same key with a
different body gets 409. Keys live in `idempotency_record`, claimed before the view runs, so two
copies racing each other cannot both get through.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from functools import wraps

from flask import Response, current_app, g, make_response, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from logistics.errors import DomainError
from logistics.models import IdempotencyRecord
from logistics.timeutil import utcnow
from siaga.errors import error_response
from siaga.extensions import db
from siaga.i18n import _, register_english

KEY_HEADER = "Idempotency-Key"
KEY_FIELD = "idempotency_key"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")
IGNORED_FORM_FIELDS = {"csrf_token", KEY_FIELD}
STALE_AFTER = timedelta(seconds=60)  # a claim whose request died is taken over after this
KEPT_HEADERS = ("Content-Type", "Location")

register_english({
    "Kunci idempoten tidak valid (8-100 huruf, angka, . _ : -).":
        "Invalid idempotency key (8-100 letters, digits, . _ : -).",
    "Kunci idempoten ini sudah dipakai untuk kiriman lain.": "This idempotency key was used for a different submission.",
    "Kiriman yang sama masih diproses; coba lagi sebentar.": "The same submission is still being processed; retry shortly.",
})


def caller_scope() -> str:
    """Whose keys these are: an API token (set by the API's auth as g.idempotency_scope) or a user."""
    if g.get("idempotency_scope"):
        return g.idempotency_scope
    user = g.get("user")
    return f"user:{user.id}" if user is not None else f"anonymous:{request.remote_addr}"


def fingerprint() -> str:
    if request.form:
        items = sorted((k, v) for k, v in request.form.items(multi=True) if k not in IGNORED_FORM_FIELDS)
        body = json.dumps(items, ensure_ascii=False).encode()
    else:
        raw = request.get_data(cache=True)
        try:
            body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            body = raw
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


def _claim(scope: str, key: str, print_: str) -> IdempotencyRecord | Response:
    """Our own new record, or the response to give instead of running the view."""
    for _attempt in range(2):
        record = db.session.scalar(select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key))
        if record is None:
            record = IdempotencyRecord(scope=scope, key=key, fingerprint=print_, created_at=utcnow())
            db.session.add(record)
            try:
                db.session.commit()
                return record
            except IntegrityError:
                db.session.rollback()  # a twin claimed it first: read theirs
                continue
        if record.fingerprint != print_:
            return error_response(409, "idempotency_key_reused", _("Kunci idempoten ini sudah dipakai untuk kiriman lain."))
        if record.status_code is not None:
            replay = Response(record.response_body, status=record.status_code, headers=record.response_headers or {})
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        if utcnow() - record.created_at > STALE_AFTER:
            record.created_at = utcnow()
            db.session.commit()
            return record
        response = error_response(409, "idempotency_in_progress", _("Kiriman yang sama masih diproses; coba lagi sebentar."))
        response = make_response(response)
        response.headers["Retry-After"] = "1"
        return response
    raise RuntimeError("idempotency claim failed twice")  # pragma: no cover - needs three racing twins


def idempotent(view):
    """Run a POST view at most once per (caller, idempotency key)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(KEY_HEADER) or request.form.get(KEY_FIELD)
        if request.method != "POST" or not key:
            return view(*args, **kwargs)
        if not KEY_PATTERN.match(key):
            return error_response(400, "invalid_idempotency_key",
                                  _("Kunci idempoten tidak valid (8-100 huruf, angka, . _ : -)."),
                                  {KEY_FIELD: _("Kunci idempoten tidak valid (8-100 huruf, angka, . _ : -).")})
        claimed = _claim(caller_scope(), key, fingerprint())
        if not isinstance(claimed, IdempotencyRecord):
            return claimed
        record_id = claimed.id
        try:
            response = make_response(view(*args, **kwargs))
        except (HTTPException, DomainError) as exc:
            db.session.rollback()
            response = make_response(current_app.handle_user_exception(exc))
        except Exception:
            db.session.rollback()
            _forget(record_id)
            raise
        if response.status_code >= 500:
            _forget(record_id)
            return response
        record = db.session.get(IdempotencyRecord, record_id)
        record.status_code = response.status_code
        record.response_body = response.get_data(as_text=True)
        record.response_headers = {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers}
        db.session.commit()
        return response

    return wrapped


def _forget(record_id: int) -> None:
    """Drop the claim of a request that failed on our side, so a retry can run."""
    record = db.session.get(IdempotencyRecord, record_id)
    if record is not None:
        db.session.delete(record)
        db.session.commit()
