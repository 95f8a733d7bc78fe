"""Who calls the API: a bearer token (partners, field apps) or a browser session (read only).

A token bound to a user acts as that user; an agency token acts as a partner of its agency.
Browser sessions may read with their role's scopes but never write here: the API is exempt from
CSRF, so a cookie alone must not be able to change anything.

Which rows and which personal fields a caller sees is the read policy's
(`logistics.permissions.read_scope`): a session and a token bound to a user see exactly what the user
sees on the pages (a user token's read scopes are the intersection of the token's and the role's);
an agency token sees the whole city for the kinds its `read:*` scopes name, personal fields only with
`read:health-pii`. A partner user's session reads with its agency's token scopes.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import wraps

from flask import after_this_request, g, request

from logistics.actor import Actor
from logistics.errors import DomainError, PermissionDenied
from logistics.models import Role, User
from logistics.permissions.read_scope import ROLE_READ_SCOPES, agency_scopes
from logistics.services.api_tokens import SCOPES, find_active_token, record_token_use, token_use_is_stale
from siaga.auth import current_user
from siaga.extensions import db
from siaga.i18n import _
from siaga.sqlite_writes import reads_before_the_turn

READ_SCOPES = frozenset(s for s in SCOPES if s.startswith("read:") and s != "read:health-pii")



class Unauthorized(DomainError):
    http_status = 401
    code = "unauthorized"


@dataclass(frozen=True)
class Caller:
    actor: Actor
    scopes: frozenset[str]
    token_id: int | None = None  # the API token's, None for a browser session


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def rate_limit_key() -> str:
    """Per token (by its hash, no database needed) or, without one, per address."""
    secret = bearer_secret()
    if secret:
        return "token:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return "ip:" + (request.remote_addr or "unknown")


def _from_token(secret: str) -> Caller:
    # On SQLite a write request looks its token up before taking the write turn (siaga/sqlite_writes.py): the
    # Caller keeps plain values only, so the token and user records may expire when the read ends.
    with reads_before_the_turn(db.session, writing=request.method not in ("GET", "HEAD", "OPTIONS")):
        return _caller_of(secret)


def _caller_of(secret: str) -> Caller:
    token = find_active_token(db.session, secret)
    if token is None:
        raise Unauthorized(_("Token API tidak ada atau tidak sah."))
    scopes = frozenset(token.scopes)
    if token.user is not None:
        if token.user.role != Role.PARTNER:  # never more than the user may read on the pages
            scopes = frozenset(s for s in scopes if not s.startswith("read:") or s in ROLE_READ_SCOPES[token.user.role])
        actor = replace(Actor.from_user(token.user), scopes=scopes)
    else:
        actor = Actor(role=Role.PARTNER, label=f"token:{token.prefix}", agency=token.agency, scopes=scopes)
    token_id, stale = token.id, token_use_is_stale(token)
    g.idempotency_scope = f"token:{token_id}"
    if stale:

        @after_this_request
        def _stamp(response):  # after the view: the request's reads never write
            record_token_use(db.session, token_id)
            return response
    return Caller(actor=actor, scopes=scopes, token_id=token_id)


def session_scopes(user: User) -> frozenset[str]:
    """What a browser session may read: its role's kinds; a partner user, its agency's token scopes."""
    if user.role == Role.PARTNER:
        return agency_scopes(db.session, user.agency)
    return ROLE_READ_SCOPES[user.role]


def current_caller() -> Caller:
    if "api_caller" not in g:
        secret = bearer_secret()
        if secret is not None:
            g.api_caller = _from_token(secret)
        else:
            user = current_user()
            if user is None:
                raise Unauthorized(_("Token API tidak ada atau tidak sah."))
            scopes = session_scopes(user)
            g.api_caller = Caller(actor=replace(Actor.from_user(user), scopes=scopes), scopes=scopes)
    return g.api_caller


def requires_scope(scope: str):
    """The caller must hold `scope`; writes also need a token (see the module docstring)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            caller = current_caller()
            if scope.startswith("write:") and caller.token_id is None:
                raise PermissionDenied(_("Sesi peramban hanya boleh membaca API; gunakan token."))
            if scope not in caller.scopes:
                raise PermissionDenied(_("Token ini tidak memiliki scope {scope}.", scope=scope))
            return view(*args, **kwargs)

        wrapped.required_scope = scope
        return wrapped

    return decorator
