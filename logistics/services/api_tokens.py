"""API tokens: create one (the secret is shown once), list, revoke, and find the token of a request."""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session, joinedload

from logistics import identity_read
from logistics.actor import Actor
from logistics.errors import ValidationFailed, not_found
from logistics.models import ApiToken, User
from logistics.permissions import Permission, may, require
from logistics.services.common import audit, commit, snapshot
from logistics.timeutil import utcnow
from logistics.texts import lazy_gettext
from logistics.services.unit_of_work import in_unit_of_work

TOKEN_PREFIX = "siaga_"
# What each scope allows; the OpenAPI description and README list the same.
SCOPES: dict[str, str] = {
    "read:wilayah": "kecamatan and kelurahan, with boundaries",
    "read:tps": "TPS and their election-day status",
    "read:deliveries": "meal and logistics deliveries",
    "read:incidents": "health incidents, medic stations and health facilities",
    "read:summary": "the dashboard's per-kecamatan figures",
    "read:health-pii": "patient names, people's phones and free-text notes (otherwise left out)",
    "write:tps-status": "TPS status steps and officers present (tokens bound to a user)",
    "write:deliveries": "delivery steps and receipts (tokens bound to a user)",
    "write:incidents": "report incidents; care steps for medics, coordinators and the health office",
}
LAST_USED_RESOLUTION = timedelta(minutes=1)  # do not write on every request
DEFAULT_EXPIRY_DAYS = 90  # an election season; a partner's token is made again for the next
MAX_EXPIRY_DAYS = 400
log = logging.getLogger(__name__)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def parse_scopes(text: str | list[str]) -> list[str]:
    scopes = [s.strip() for s in (text.split(",") if isinstance(text, str) else text) if s.strip()]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValidationFailed(lazy_gettext("Scope tidak dikenal: {names}", names=", ".join(unknown or ["(none)"])),
                               {"scopes": lazy_gettext("Pilih dari: {choices}", choices=", ".join(SCOPES))})
    return sorted(set(scopes))


@in_unit_of_work
def create_token(session: Session, actor: Actor, *, scopes: str | list[str], agency: str | None = None,
                 username: str | None = None, name: str | None = None,
                 expires_in_days: int | None = DEFAULT_EXPIRY_DAYS) -> tuple[ApiToken, str]:
    """A new token and its secret: the secret is not stored, show it to the person now. It expires after
    `expires_in_days` (1 to MAX_EXPIRY_DAYS)."""
    require(may(actor, Permission.TOKEN_ADMIN), lazy_gettext("Hanya admin yang dapat membuat token"))
    scope_list = parse_scopes(scopes)
    if expires_in_days is None or not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise ValidationFailed(lazy_gettext("Masa berlaku tidak sah"),
                               {"expires_in_days": lazy_gettext("1 sampai {n} hari.", n=MAX_EXPIRY_DAYS)})
    agency = (agency or "").strip() or None
    user = None
    if username:
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None or not user.active:
            raise ValidationFailed(lazy_gettext("Pengguna tidak ditemukan"), {"user": lazy_gettext("Tidak ditemukan.")})
        agency = agency or user.agency
    elif agency is None:
        raise ValidationFailed(lazy_gettext("Isi --agency atau --user"),
                               {"agency": lazy_gettext("Wajib diisi tanpa --user.")})
    secret, now = TOKEN_PREFIX + secrets.token_urlsafe(32), utcnow()
    token = ApiToken(name=(name or agency or user.username)[:120], agency=agency, scopes=scope_list,
                     token_hash=hash_token(secret), prefix=secret[:12], user_id=user.id if user else None,
                     created_at=now, expires_at=now + timedelta(days=expires_in_days))
    session.add(token)
    audit(session, actor, "api_token.created", token, None)
    commit(session)
    return token, secret


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


@in_unit_of_work
def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    require(may(actor, Permission.TOKEN_ADMIN), lazy_gettext("Hanya admin yang dapat mencabut token"))
    token = session.get(ApiToken, token_id)
    if token is None:
        raise not_found("Token", token_id)
    if token.revoked_at is None:
        before = snapshot(token)
        token.revoked_at = utcnow()
        audit(session, actor, "api_token.revoked", token, before)
        commit(session)
    return token


# Built once: the token and its user in one query, every request that carries a token (SQLAlchemy keys its
# compiled-statement cache on the statement; one statement object computes that key once).
# The active election and the drill come with it (logistics/identity_read.py): no statements of their own.
_TOKEN_BY_HASH = (select(ApiToken, *identity_read.columns()).options(joinedload(ApiToken.user))
                  .where(ApiToken.token_hash == bindparam("token_hash")).execution_options(all_elections=True))


def find_active_token(session: Session, secret: str) -> ApiToken | None:
    """The live token for `secret`, or None. A hash lookup: no secret is compared character by character.

    A read: it never writes (see `record_token_use` for `last_used_at`). It is the request's identity read,
    so what it carries (the active election, whether a drill plays) is kept for the request
    (logistics/identity_read.py)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    row = session.execute(_TOKEN_BY_HASH, {"token_hash": hash_token(secret)}).first()
    if row is None:
        return None
    token, *carried = row
    identity_read.pin(session, *carried)
    if not token.live():
        return None
    if token.user_id is not None and (token.user is None or not token.user.active):
        return None
    return token


def token_use_is_stale(token: ApiToken, now: datetime | None = None) -> bool:
    """Whether `last_used_at` is old enough to be written again (at most once a minute)."""
    now = now or utcnow()
    return token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION


def record_token_use(session: Session, token_id: int, now: datetime | None = None) -> bool:
    """Stamp `last_used_at` in its own short transaction, after the request's own work is done.

    Conditional, so several workers seeing the same stale value write it once; and it never
    raises: a locked or unreachable database only means the stamp waits for the next use.
    Returns whether the stamp was written."""
    now = now or utcnow()
    try:
        session.rollback()  # end the request's transaction (already committed, or a read)
        result = session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id,
                   or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_RESOLUTION))
            .values(last_used_at=now)
            .execution_options(synchronize_session=False))
        session.commit()
        return bool(result.rowcount)
    except Exception:  # noqa: BLE001 - bookkeeping must never fail the request
        log.warning("could not record the use of API token %s", token_id, exc_info=True)
        try:
            session.rollback()
        except Exception:  # noqa: BLE001
            pass
        return False
