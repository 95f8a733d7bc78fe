"""The `webpush` channel: each event to every subscribed device of the people it concerns (RFC 8030/8291/8292).

Recipients are the subscriptions (siaga/push.py made them) of the users `audience()` names, still of
their owner's current login (a subscription from before a logout, revoke or password change is deleted
then, and ignored here in any case). The ledger key is the subscription's id, so each (event, device) is
sent at most once. pywebpush encrypts (aes128gcm) and signs (VAPID, siaga/vapid.py); a push service that
answers 404/410 has forgotten the subscription: `Gone`, and it is deleted. Anything else is retried by
the outbox (siaga/worker/outbox.py).

The payload says what happened and what to open, from the event's kind and codes (a TPS code is not
personal): never a name, a complaint or a phone number. Its tag is the event's id, so a phone shows an
event once even if it is sent again (the one case: killed between sending and recording).
"""
from __future__ import annotations

import json

import requests
from flask import Flask, current_app, url_for
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from logistics.events import EventKind
from logistics.models import OutboxEvent, PushSubscription, Tps, User
from logistics.models.enums import IncidentStatus, Triage
from logistics.queries.audience import audience
from logistics.texts import lazy_gettext
from siaga.vapid import VapidKeys, vapid_keys
from siaga.worker.channels import Gone, register

K = EventKind
TTL_S = 3600         # a notification not delivered within an hour is news no more: the page shows it then
SEND_TIMEOUT_S = 10  # a push service that does not answer: this delivery fails and is retried
GONE_STATUSES = frozenset({404, 410})

_TITLES = {
    K.INCIDENT_REPORTED: lazy_gettext("Kejadian {triage} baru"),
    K.INCIDENT_REASSIGNED: lazy_gettext("Kejadian {triage} dialihkan ke pos Anda"),
    K.INCIDENT_REOPENED: lazy_gettext("Kejadian {triage} dibuka lagi"),
    K.INCIDENT_STEPPED: lazy_gettext("Kejadian {status}"),
    K.DELIVERY_ARRIVED: lazy_gettext("Kiriman sampai — konfirmasi"),
    K.ROUTE_CHANGED: lazy_gettext("Rute Anda berubah"),
    K.BELOW_QUORUM: lazy_gettext("Petugas kurang dari kuorum"),
    K.DELIVERY_NOT_COMING: lazy_gettext("Kiriman tidak datang"),
}
_ALERT_TITLES = {
    "merah_no_response": lazy_gettext("Kejadian merah belum ditangani"),
    "below_quorum": lazy_gettext("Petugas kurang dari kuorum"),
    "meal_not_coming": lazy_gettext("Makanan tidak datang"),
}
_MEAL_ARRIVED = lazy_gettext("Makanan sampai — konfirmasi")
_AT_TPS = lazy_gettext("TPS {code}")
_OPEN = lazy_gettext("Buka untuk melihat.")
_DRILL = lazy_gettext("Latihan: {title}")


class WebPushChannel:
    name = "webpush"

    def __init__(self, keys: VapidKeys):
        self.keys = keys
        self.http = requests.Session()  # one connection per push service, kept between sends
        self._payload: tuple[int, str] | None = None  # the last event's, sent to each of its devices in turn

    def recipients(self, session: Session, event: OutboxEvent) -> list[str]:
        users = audience(session, event)
        if not users:
            return []
        ids = session.scalars(_current(select(PushSubscription.id)).where(PushSubscription.user_id.in_(users))
                              .order_by(PushSubscription.id))
        return [str(found) for found in ids]

    def send(self, session: Session, event: OutboxEvent, recipient: str) -> None:
        subscription = session.scalar(_current(select(PushSubscription)).where(PushSubscription.id == int(recipient)))
        if subscription is None:
            raise Gone(recipient)  # unsubscribed, or its login ended, since it was named
        if self._payload is None or self._payload[0] != event.id:
            self._payload = (event.id, json.dumps(payload(session, event), ensure_ascii=False))
        headers = {"Urgency": urgency(event)}
        # A push service keeps one undelivered message per topic: a newer route change replaces one the phone
        # has not fetched yet, and an event sent twice (killed between sending and recording) waits once.
        headers["Topic"] = "route" if event.kind == K.ROUTE_CHANGED.value else f"event-{event.id}"
        try:
            webpush({"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh,
                                                                  "auth": subscription.auth}},
                    data=self._payload[1], vapid_private_key=self.keys.vapid,
                    vapid_claims={"sub": self.keys.subject}, ttl=TTL_S, headers=headers,
                    timeout=SEND_TIMEOUT_S, requests_session=self.http)
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in GONE_STATUSES:
                raise Gone(recipient) from exc
            raise RuntimeError(f"push service answered {status}") from exc

    def drop(self, session: Session, recipient: str) -> None:
        session.execute(delete(PushSubscription).where(PushSubscription.id == int(recipient)))


def _current(statement):
    """Subscriptions made in their owner's current login, of an active account."""
    return statement.join(User, PushSubscription.of_current_login(User)).where(User.active.is_(True))


def urgency(event: OutboxEvent) -> str:
    """RFC 8030 Urgency: an urgent event (`logistics.events.is_urgent`) goes through a phone's power saving."""
    return "high" if event.urgent else "normal"


def payload(session: Session, event: OutboxEvent) -> dict:
    """What the phone shows and opens: the event's kind, a short title and body, a URL and its id as tag."""
    kind, data = EventKind(event.kind), event.data or {}
    tps_id = data.get("tps_id") or (event.entity_id if event.entity_type == "tps" else None)
    code = session.scalar(select(Tps.code).where(Tps.id == tps_id)) if tps_id else None
    triage, status = data.get("triage"), data.get("status")
    values = {"triage": _label(Triage, triage).upper(), "status": _label(IncidentStatus, status).lower()}
    if kind == K.ALERT_RAISED:
        title = str(_ALERT_TITLES.get(data.get("alert"), lazy_gettext("Peringatan baru")))
    elif kind == K.DELIVERY_ARRIVED and data.get("kind") == "meal":
        title = str(_MEAL_ARRIVED)
    else:
        title = str(_TITLES.get(kind, lazy_gettext("Ada perubahan"))).format(**values)
    if data.get("drill"):
        title = str(_DRILL).format(title=title)
    return {"kind": event.kind, "event_id": event.id, "tag": f"siaga-{event.id}", "title": title,
            "body": str(_AT_TPS).format(code=code) if code else str(_OPEN), "url": _url(kind, event, tps_id)}


def _label(enum_cls, value) -> str:
    try:
        return str(enum_cls(value).label)
    except ValueError:
        return ""


def _url(kind: EventKind, event: OutboxEvent, tps_id: int | None) -> str:
    """The page to open: the incident, the TPS's deliveries, the route, or the coordinators' dashboard."""
    with current_app.test_request_context("/"):
        if event.entity_type == "health_incident":
            return url_for("field.incident_detail", incident_id=event.entity_id)
        if kind == K.DELIVERY_ARRIVED and tps_id:
            return url_for("field.tps_deliveries_page", tps_id=tps_id)
        if kind == K.ROUTE_CHANGED:
            return url_for("field.route")
        return url_for("maps.dashboard")


@register
def webpush_channel(app: Flask) -> WebPushChannel:
    return WebPushChannel(vapid_keys(app))
