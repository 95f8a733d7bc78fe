"""The gateway's webhook: `POST /sms/webhook`, trusted only by the gateway's signature (siaga/sms/smsgate.py).

No login and no CSRF token (the gateway has neither); a body not signed with the signing key, recently,
is a 401 and is not read. An SMS received becomes a command (logistics/services/sms_inbound.py) in one
unit of work: the change, its audit entry and events, the stored SMS and its queued reply commit together;
the same SMS delivered again is answered 200 and changes nothing. A status callback updates the message
we sent. Where SMS is off (no SMS_GATEWAY) the route is a 404.
"""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from logistics.models import SmsOutbound
from logistics.services.sms_inbound import handle_inbound
from logistics.services.unit_of_work import UnitOfWork
from logistics.timeutil import utcnow
from siaga.extensions import csrf, db
from siaga.sms.gateway import BadSignature, BadWebhook, Inbound, StatusUpdate, gateway_for

log = logging.getLogger("siaga.sms")
bp = Blueprint("sms", __name__, url_prefix="/sms")
# A later status never goes back to an earlier one (callbacks can arrive out of order).
STATUS_ORDER = {"queued": 0, "sending": 1, "pending": 2, "sent": 3, "delivered": 4, "failed": 4}


@bp.post("/webhook")
@csrf.exempt
def webhook():
    gateway = gateway_for(current_app)
    if gateway is None:
        abort(404)
    try:
        message = gateway.read_webhook(request.get_data(cache=False), request.headers)
    except BadSignature as exc:
        log.warning("SMS webhook refused: %s", exc)
        return jsonify({"error": {"code": "bad_signature", "message": "signature required"}}), 401
    except BadWebhook as exc:
        return jsonify({"error": {"code": "bad_webhook", "message": str(exc)}}), 400
    if isinstance(message, Inbound):
        return _inbound(message)
    if isinstance(message, StatusUpdate):
        return _status(message)
    return jsonify({"ok": True, "ignored": message.event})


def _inbound(message: Inbound):
    session = db.session
    try:
        message_id = _clean(message.message_id, 64)
        with UnitOfWork(session, via={"sms": message_id}) as uow:  # its audit entries name the SMS
            outcome = handle_inbound(session, message_id, _clean(message.phone, 64), _clean(message.text, 2000))
            uow.commit()
    except IntegrityError:  # the same SMS handled by a concurrent delivery: its change was rolled back
        return jsonify({"ok": True, "duplicate": True})
    if outcome.inbound is None:
        return jsonify({"ok": True, "duplicate": True})
    return jsonify({"ok": True, "result": outcome.inbound.result})


def _clean(value: str, limit: int) -> str:
    """Text a database column takes: no NUL (PostgreSQL refuses it), no lone surrogates, bounded."""
    return value[:limit].replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _status(message: StatusUpdate):
    session = db.session
    row = session.execute(select(SmsOutbound.id, SmsOutbound.status).where(
        SmsOutbound.gateway_id == _clean(message.message_id, 64))).first()
    if row is None:
        return jsonify({"ok": True, "unknown": True})  # not ours (another app on the same gateway)
    if STATUS_ORDER.get(message.status, 0) >= STATUS_ORDER.get(row.status, 0):
        session.execute(update(SmsOutbound).where(SmsOutbound.id == row.id).values(
            status=message.status, status_at=utcnow(), reason=(message.reason or None) and str(message.reason)[:200]))
        session.commit()
    return jsonify({"ok": True})


def register(app) -> None:
    app.register_blueprint(bp)
