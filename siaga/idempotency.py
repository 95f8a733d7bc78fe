"""Idempotency keys: a retried or replayed submission never creates a second record.

A POST carrying a key (the `Idempotency-Key` header, or an `idempotency_key` form field from the
field pages' offline queue) is run once per caller; any retry with the same key and the same
body gets the first response again (marked `Idempotent-Replayed: true`); the same key with a
different body gets 409.

One transaction per submission (a unit of work): the view's services only flush
(`logistics.services.common.commit` inside a unit of work), then the key's `idempotency_record` row is
inserted complete, with the answer, and the change, its audit entry and the stored answer commit
together. So a submission either happened and has its answer stored, or did not happen at all: a
retry of one whose commit failed (lock, database restart, killed worker) simply runs again, and no
claim is ever left behind to be "taken over". The key's row is handed to the unit of work's commit
(one INSERT, instead of an INSERT first and an UPDATE with the answer), which writes it with the audit
entries and the data versions — on PostgreSQL in one statement, the key before any counter
(logistics/services/commit_writes.py); the unique (scope, key) index decides: a replay of a committed
submission, or a twin that lost the race (on PostgreSQL it waits on the index for the winner's
transaction; on SQLite writers take turns), fails that INSERT, its own change is rolled back and it gets
the stored answer. A twin that cannot
see the winner's answer yet gets 409 `idempotency_in_progress` + Retry-After.
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
from logistics.services.commit_writes import write_record
from logistics.services.unit_of_work import UnitOfWork
from logistics.timeutil import utcnow
from siaga.errors import error_response
from siaga.extensions import db
from siaga.i18n import _
from siaga.tapped import TAPPED_FIELD, request_tapped

KEY_HEADER = "Idempotency-Key"
KEY_FIELD = "idempotency_key"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")
# Not part of what a submission is: the form's token, its key, and the moment it was tapped (a Back and
# tap again with the same key replays, it is not another submission).
IGNORED_FORM_FIELDS = {"csrf_token", KEY_FIELD, TAPPED_FIELD}
KEPT_HEADERS = ("Content-Type", "Location")



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


def _remember(claim: dict, response: Response) -> dict:
    """The key's record, complete with the answer: the row the unit of work's commit writes first of its last
    statement (logistics/services/commit_writes.py; no ORM object, no flush, no second UPDATE). A twin that
    committed the same (scope, key) first makes its INSERT fail (IntegrityError; on PostgreSQL after waiting
    for the twin's transaction on the unique index, before any data version is touched)."""
    return {
        **claim, "created_at": utcnow(), "status_code": response.status_code,
        "response_body": response.get_data(as_text=True),
        "response_headers": {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers},
    }


def _refusal(exc: Exception) -> Response:
    return make_response(current_app.handle_user_exception(exc))


def _already_answered(claim: dict) -> Response:
    """The record's INSERT lost to a twin's (or an earlier submission's) committed one: this submission's
    change is rolled back and the stored answer (or 409) is given instead."""
    _rollback_quietly()
    return _stored_answer(claim["scope"], claim["key"], claim["fingerprint"])


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
        claim = {"scope": caller_scope(), "key": key, "fingerprint": fingerprint()}
        refused = None
        with UnitOfWork(db.session) as uow:  # left uncommitted, it rolls back: nothing of a refusal is kept
            try:
                uow.tapped = request_tapped()  # the submission's steps happened when it was tapped
                response = make_response(view(*args, **kwargs))
            except (HTTPException, DomainError) as exc:
                response, refused = None, exc
            if response is not None and response.status_code < 400:
                try:  # the change, its audit entry, its events and the stored answer, at once; the key first
                    uow.commit(idempotency_record=_remember(claim, response))
                except IntegrityError:
                    return _already_answered(claim)  # a replay, or a twin was first: its answer
                return response
        if response is None:
            response = _refusal(refused)
        if response.status_code >= 500:
            return response  # ...and a failure on our side is not remembered: a retry runs again
        return _remember_refusal(claim, response)

    return wrapped


def _rollback_quietly() -> None:
    """Undo the submission; if the database itself is gone, the pool replaces the connection and
    the original error (e.g. a 503 for the client to retry) is what counts."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        current_app.logger.warning("rollback failed", exc_info=True)


def _remember_refusal(claim: dict, response: Response) -> Response:
    """Store a 4xx answer in its own transaction, so a retry gets the same refusal (unless the key
    already has an answer: a replay, or a twin's, which is given instead)."""
    try:
        write_record(db.session, _remember(claim, response))
        db.session.commit()
    except IntegrityError:
        return _already_answered(claim)
    return response
