"""Idempotency keys: a retried or replayed submission never creates a second record.

A POST carrying a key (the `Idempotency-Key` header, or an `idempotency_key` form field from the
field pages' offline queue) is run once per caller; any retry with the same key and the same
body gets the first response again (marked `Idempotent-Replayed: true`); the same key with a
different body gets 409.

One transaction per submission (a unit of work): the key's `idempotency_record` row is inserted
first, the view's services only flush (`logistics.services.common.commit` inside a unit of work),
and the decorator commits the change, its audit entry and the stored response together. So a
submission either happened and has its answer stored, or did not happen at all: a retry of one
whose commit failed (lock, database restart, killed worker) simply runs again, and no claim is
ever left behind to be "taken over". A twin racing with the same key waits on the key's row (the
unique index on PostgreSQL, the write lock that BEGIN IMMEDIATE takes on SQLite) and then gets the
stored response; only if it cannot wait does it get 409 `idempotency_in_progress` + Retry-After.
"""
from __future__ import annotations

import hashlib
import json
import re
from functools import wraps

from flask import Response, current_app, g, make_response, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from logistics.errors import DomainError
from logistics.models import IdempotencyRecord
from logistics.services.common import UNIT_OF_WORK
from logistics.timeutil import utcnow
from siaga.errors import error_response
from siaga.extensions import db
from siaga.i18n import _, register_english

KEY_HEADER = "Idempotency-Key"
KEY_FIELD = "idempotency_key"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")
IGNORED_FORM_FIELDS = {"csrf_token", KEY_FIELD}
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


def _stored_answer(scope: str, key: str, print_: str) -> Response:
    """The answer to a key someone already used: its stored response, or a 409."""
    record = db.session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.scope == scope, IdempotencyRecord.key == key))
    if record is not None and record.fingerprint != print_:
        return make_response(error_response(409, "idempotency_key_reused",
                                            _("Kunci idempoten ini sudah dipakai untuk kiriman lain.")))
    if record is not None and record.status_code is not None:
        replay = Response(record.response_body, status=record.status_code, headers=record.response_headers or {})
        replay.headers["Idempotent-Replayed"] = "true"
        return replay
    # Not visible yet (a twin's transaction is still open and we could not wait for it), or a
    # record left without a response by an older version of this code.
    response = make_response(error_response(409, "idempotency_in_progress",
                                            _("Kiriman yang sama masih diproses; coba lagi sebentar.")))
    response.headers["Retry-After"] = "1"
    return response


def _claim(scope: str, key: str, print_: str) -> IdempotencyRecord | Response:
    """Insert the key's record in the request's transaction (not committed), or the answer to give
    instead of running the view. The insert is the lock: a twin's insert of the same (scope, key)
    waits for this transaction and then fails, and reads what this one stored."""
    record = IdempotencyRecord(scope=scope, key=key, fingerprint=print_, created_at=utcnow())
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _stored_answer(scope, key, print_)
    return record


def _remember(record: IdempotencyRecord, response: Response) -> None:
    record.status_code = response.status_code
    record.response_body = response.get_data(as_text=True)
    record.response_headers = {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers}


def _refusal(exc: Exception) -> Response:
    return make_response(current_app.handle_user_exception(exc))


def idempotent(view):
    """Run a POST view at most once per (caller, idempotency key), in one transaction."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get(KEY_HEADER) or request.form.get(KEY_FIELD)
        if request.method != "POST" or not key:
            return view(*args, **kwargs)
        if not KEY_PATTERN.match(key):
            return error_response(400, "invalid_idempotency_key",
                                  _("Kunci idempoten tidak valid (8-100 huruf, angka, . _ : -)."),
                                  {KEY_FIELD: _("Kunci idempoten tidak valid (8-100 huruf, angka, . _ : -).")})
        scope, print_ = caller_scope(), fingerprint()
        claimed = _claim(scope, key, print_)
        if not isinstance(claimed, IdempotencyRecord):
            return claimed
        session = db.session
        session.info[UNIT_OF_WORK] = True
        try:
            response = make_response(view(*args, **kwargs))
        except (HTTPException, DomainError) as exc:
            response = None
            refused = exc
        except Exception:
            _rollback_quietly()
            raise
        finally:
            session.info.pop(UNIT_OF_WORK, None)
        if response is None:
            session.rollback()  # nothing of a refused submission is kept...
            response = _refusal(refused)
        elif response.status_code >= 400:
            session.rollback()
        else:
            try:
                _remember(claimed, response)
                session.commit()  # the change, its audit entry and the stored answer, at once
            except Exception:
                _rollback_quietly()  # neither happened: a retry runs again
                raise
            return response
        if response.status_code >= 500:
            return response  # ...and a failure on our side is not remembered: a retry runs again
        return _remember_refusal(scope, key, print_, response)

    return wrapped


def _rollback_quietly() -> None:
    """Undo the submission; if the database itself is gone, the pool replaces the connection and
    the original error (e.g. a 503 for the client to retry) is what counts."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        current_app.logger.warning("rollback failed", exc_info=True)


def _remember_refusal(scope: str, key: str, print_: str, response: Response) -> Response:
    """Store a 4xx answer in its own transaction, so a retry gets the same refusal."""
    claimed = _claim(scope, key, print_)
    if not isinstance(claimed, IdempotencyRecord):
        return claimed  # a twin answered meanwhile: give its answer
    _remember(claimed, response)
    db.session.commit()
    return response
