"""Web Push end to end against a local push service that verifies VAPID and decrypts (tests/push_service.py).

An event raised by a real service call is delivered by real worker passes (`deliver_pending` with the
registered channels) through pywebpush over HTTP; the push service holds the devices' private keys, as the
browsers would, and records what it could decrypt.
"""
from __future__ import annotations

import hashlib
import json
import re

import pytest
from py_vapid import Vapid
from sqlalchemy import func, select, update

from logistics.actor import Actor
from logistics.models import EventDelivery, HealthIncident, OutboxEvent, PushSubscription, User
from logistics.services.accounts import change_password, revoke_sessions
from logistics.services.incidents import report_incident
from logistics.timeutil import utcnow
from siaga.vapid import VapidKeys, _instance_key, vapid_keys
from siaga.worker.channels import channels_for
from tests.worker_passes import passes_until_idle
from tests import push_service as push
from tests.conftest import DEMO_PASSWORD
from tests.field_client import csrf_from, log_in_as

PATIENT, COMPLAINT = "Siti Rahayu", "sesak napas berat setelah pingsan"
PAYLOAD_KEYS = {"kind", "event_id", "tag", "title", "body", "url"}


@pytest.fixture()
def vapid(app, monkeypatch):
    """A fresh VAPID pair for the test (the app's would be generated into the instance folder)."""
    key = Vapid()
    key.generate_keys()
    point = key.public_key.public_bytes(push.serialization.Encoding.X962,
                                        push.serialization.PublicFormat.UncompressedPoint)
    keys = VapidKeys(key, push.b64url(point), "mailto:ops@siaga-tps.invalid")
    monkeypatch.setitem(app.extensions, "siaga_vapid", keys)
    return keys


@pytest.fixture()
def outbox(app, session, vapid):
    """The outbox with the seed's events already dispatched; `outbox()` runs the worker's passes (until idle)."""
    session.execute(update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
    session.commit()

    def run_pass():
        with app.app_context():
            return passes_until_idle(session, channels_for(app))

    return run_pass


def user(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def browser(app, session, username: str):
    """A logged-in browser of `username` (its own cookie jar)."""
    client = app.test_client()
    log_in_as(client, session, username)
    return client


def subscribe(client, device: push.Device, **changes):
    body = {**device.subscription_json(), **changes}
    return client.post("/notifikasi/langganan", json=body,
                       headers={"X-CSRFToken": csrf_from(client), "User-Agent": "Mozilla/5.0 (Linux; Android 10)"})


def report_merah(session, actor_for) -> HealthIncident:
    """The officer reports a merah at their TPS; the demo medic is made one of the receiving station's."""
    officer = actor_for("petugas")
    incident = report_incident(session, officer, patient_kind="officer", complaint=COMPLAINT, triage="merah",
                               tps_id=officer.tps_id, patient_name=PATIENT)
    medic = user(session, "medis")
    medic.medic_station_id = incident.medic_station_id
    session.commit()
    return incident


def test_a_merah_reaches_each_of_the_medics_devices_once_decrypted_and_without_personal_data(
        app, session, actor_for, push_service, outbox):
    phone, tablet, officer_phone = push_service.subscribe(), push_service.subscribe(), push_service.subscribe()
    medic_browser = browser(app, session, "medis")
    assert subscribe(medic_browser, phone).status_code == 201
    assert subscribe(browser(app, session, "medis"), tablet).status_code == 201
    assert subscribe(browser(app, session, "petugas"), officer_phone).status_code == 201

    incident = report_merah(session, actor_for)
    event = session.scalar(select(OutboxEvent).where(OutboxEvent.entity_type == "health_incident",
                                                     OutboxEvent.entity_id == incident.id))
    report = outbox()

    assert push_service.rejected == []
    assert report.sent == 2 and report.failed == 0
    for device in (phone, tablet):
        [got] = push_service.to(device)
        assert set(got.payload) == PAYLOAD_KEYS
        assert got.payload["event_id"] == event.id and got.payload["tag"] == f"siaga-{event.id}"
        assert got.payload["kind"] == "incident.reported"
        assert "MERAH" in got.payload["title"]
        assert got.payload["url"] == f"/lapangan/kejadian/{incident.id}"
        assert got.urgency == "high" and got.ttl > 0
        text = json.dumps(got.payload, ensure_ascii=False).lower()
        medic, officer = user(session, "medis"), user(session, "petugas")
        for personal in (PATIENT, COMPLAINT, medic.full_name, officer.full_name, medic.username, officer.username):
            assert personal.lower() not in text
    assert push_service.to(officer_phone) == []  # the officer is not the audience of a report

    assert outbox().sent == 0  # a second pass sends nothing more
    assert len(push_service.all()) == 2
    assert session.scalar(select(OutboxEvent.dispatched_at).where(OutboxEvent.id == event.id)) is not None


def test_an_endpoint_answering_410_is_dropped_and_the_others_still_hear(app, session, actor_for, push_service,
                                                                          outbox):
    kept, dropped = push_service.subscribe(), push_service.subscribe()
    for device in (kept, dropped):
        assert subscribe(browser(app, session, "medis"), device).status_code == 201
    push_service.gone(dropped.endpoint)
    report_merah(session, actor_for)

    report = outbox()

    assert report.sent == 1 and report.gone == 1
    assert len(push_service.to(kept)) == 1 and push_service.to(dropped) == []
    endpoints = set(session.scalars(select(PushSubscription.endpoint)))
    assert kept.endpoint in endpoints and dropped.endpoint not in endpoints
    assert set(session.scalars(select(EventDelivery.status).where(EventDelivery.channel == "webpush"))) == {"sent", "gone"}
    assert outbox().sent == 0 and len(push_service.all()) == 1


def test_a_revoked_users_devices_receive_nothing(app, session, actor_for, push_service, outbox):
    device = push_service.subscribe()
    assert subscribe(browser(app, session, "medis"), device).status_code == 201
    revoke_sessions(session, actor_for("admin"), user(session, "medis").id)
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 0

    report_merah(session, actor_for)
    outbox()

    assert push_service.all() == [] and push_service.rejected == []


def test_logging_out_ends_that_users_subscriptions(app, session, actor_for, push_service, outbox):
    device, other_medic_device = push_service.subscribe(), push_service.subscribe()
    medic_browser = browser(app, session, "medis")
    assert subscribe(medic_browser, device).status_code == 201
    officer_browser = browser(app, session, "petugas")
    assert subscribe(officer_browser, other_medic_device).status_code == 201

    medic_browser.post("/logout", data={"csrf_token": csrf_from(medic_browser)})

    assert set(session.scalars(select(PushSubscription.endpoint))) == {other_medic_device.endpoint}
    report_merah(session, actor_for)
    outbox()
    assert push_service.to(device) == []


def test_a_password_change_ends_the_subscriptions(app, session, actor_for, push_service, outbox):
    device = push_service.subscribe()
    assert subscribe(browser(app, session, "medis"), device).status_code == 201
    change_password(session, actor_for("medis"), user(session, "medis").id, DEMO_PASSWORD, "a-new-long-passphrase")
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 0


def test_a_subscription_from_an_earlier_login_is_never_sent_to(app, session, actor_for, push_service, outbox):
    """Even if a session ended without the service that deletes (a row written by hand), the worker sends only
    to subscriptions of the owner's current login."""
    device = push_service.subscribe()
    assert subscribe(browser(app, session, "medis"), device).status_code == 201
    session.execute(update(User).where(User.username == "medis").values(session_version=User.session_version + 1))
    session.commit()
    report_merah(session, actor_for)
    outbox()
    assert push_service.all() == []


def test_subscribing_again_keeps_one_row_owned_by_the_last_subscriber_and_unsubscribe_removes_it(
        app, session, push_service):
    device = push_service.subscribe()
    assert subscribe(browser(app, session, "medis"), device).status_code == 201
    assert subscribe(browser(app, session, "medis"), device).status_code == 201
    officer = browser(app, session, "petugas")
    assert subscribe(officer, device).status_code == 201  # the phone handed over
    rows = session.scalars(select(PushSubscription)).all()
    assert [(r.endpoint, r.user_id) for r in rows] == [(device.endpoint, user(session, "petugas").id)]
    assert rows[0].device.startswith("Mozilla/5.0")

    answer = officer.post("/notifikasi/berhenti", json={"endpoint": device.endpoint},
                          headers={"X-CSRFToken": csrf_from(officer)})
    assert answer.status_code == 200 and answer.get_json() == {"subscribed": False}
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 0


def test_the_public_key_is_the_apps_vapid_key(app, session, vapid):
    answer = browser(app, session, "kurir").get("/notifikasi/kunci")
    assert answer.status_code == 200 and answer.get_json() == {"public_key": vapid.public_key}
    assert len(push.unb64url(vapid.public_key)) == 65


LONG = "https://push.example.org/" + "a" * 1000


@pytest.mark.parametrize("changes, field", [
    ({"endpoint": "ftp://push.example.org/x"}, "endpoint"),
    ({"endpoint": "http://push.example.org/x"}, "endpoint"),  # plain http only to this machine
    ({"endpoint": LONG}, "endpoint"),
    ({"endpoint": "https://push.example.org/a b"}, "endpoint"),
    ({"endpoint": 12}, "endpoint"),
    ({"endpoint": None}, "endpoint"),
    ({"keys": {"auth": "A" * 22}}, "keys.p256dh"),
    ({"keys": {"p256dh": "B" * 86, "auth": "A" * 22}}, "keys.p256dh"),
    ({"keys": {"p256dh": push.b64url(b"\x04" + bytes(64)), "auth": "A" * 22}}, "keys.p256dh"),  # not on P-256
    ({"keys": {"p256dh": "!" * 87, "auth": "A" * 22}}, "keys.p256dh"),
    ("p256dh-ok", "keys.auth"),
    ({"keys": "none"}, "keys.p256dh"),
])
def test_subscribe_refuses_bad_input_with_a_message_per_field(app, session, push_service, changes, field):
    device = push_service.subscribe()
    if changes == "p256dh-ok":
        changes = {"keys": {**device.subscription_json()["keys"], "auth": "A" * 21}}
    answer = subscribe(browser(app, session, "medis"), device, **changes)
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 0


def test_subscribe_refuses_what_is_not_a_json_object_without_csrf_or_login(app, session, push_service):
    medic = browser(app, session, "medis")
    token = csrf_from(medic)
    not_json = medic.post("/notifikasi/langganan", data="[1]", content_type="application/json",
                          headers={"X-CSRFToken": token})
    assert not_json.status_code == 422 and "_body" in not_json.get_json()["error"]["fields"]
    body = push_service.subscribe().subscription_json()
    assert medic.post("/notifikasi/langganan", json=body).status_code == 400  # no CSRF token
    assert app.test_client().post("/notifikasi/langganan", json=body).status_code in (400, 401)
    partner = browser(app, session, "mitra")
    assert partner.post("/notifikasi/langganan", json=body,
                        headers={"X-CSRFToken": csrf_from(partner)}).status_code == 403
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 0


def test_the_instance_key_is_made_once_and_shared(tmp_path, app, monkeypatch):
    first = _instance_key(str(tmp_path))
    assert _instance_key(str(tmp_path)) == first and b"PRIVATE KEY" in first
    assert oct((tmp_path / "vapid_private.pem").stat().st_mode & 0o777) == "0o600"
    monkeypatch.delitem(app.extensions, "siaga_vapid", raising=False)
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", first.decode())
    monkeypatch.setitem(app.config, "VAPID_SUBJECT", "mailto:ops@example.org")
    keys = vapid_keys(app)
    assert keys.subject == "mailto:ops@example.org"
    assert Vapid.from_pem(first).public_key.public_numbers() == keys.vapid.public_key.public_numbers()


def test_a_merah_and_the_critical_alerts_are_high_urgency_the_rest_normal(session):
    from logistics.events import is_urgent
    from siaga.worker.webpush import urgency

    assert not is_urgent("incident.reported", {"triage": "kuning"})
    assert is_urgent("incident.reported", {"triage": "merah"})
    assert is_urgent("incident.reassigned", {"triage": "merah"})
    assert is_urgent("alert.raised", {"alert": "merah_no_response"})
    assert not is_urgent("alert.raised", {"alert": "meal_late"})
    assert is_urgent("tps.below_quorum", {}) and is_urgent("delivery.not_coming", {})
    assert not is_urgent("delivery.arrived", {})
    assert not is_urgent("incident.stepped", {"triage": "merah", "status": "responding"})
    urgent = OutboxEvent(kind="incident.reported", entity_type="x", entity_id=1, data={}, urgent=True)
    assert urgency(urgent) == "high"
    assert urgency(OutboxEvent(kind="delivery.arrived", entity_type="x", entity_id=1, data={}, urgent=False)) == "normal"


def test_field_pages_and_the_dashboard_offer_notifications_to_the_roles_that_get_them(app, session):
    for username, page in (("medis", "/lapangan/pos"), ("petugas", "/lapangan/tps"), ("kurir", "/lapangan/rute"),
                           ("koordinator", "/dashboard")):
        html = browser(app, session, username).get(page, follow_redirects=True).get_data(as_text=True)
        assert 'id="push-toggle"' in html and "Aktifkan notifikasi" in html, username
    assert 'id="push-toggle"' not in browser(app, session, "admin").get("/dashboard").get_data(as_text=True)


def test_the_officer_hears_the_meal_arrived_and_nobody_else(app, session, actor_for, push_service, outbox):
    from logistics.models import DeliveryStatus as S
    from logistics.services.deliveries import advance_delivery
    from tests.factories import meal

    officer_phone, medic_phone = push_service.subscribe(), push_service.subscribe()
    assert subscribe(browser(app, session, "petugas"), officer_phone).status_code == 201
    assert subscribe(browser(app, session, "medis"), medic_phone).status_code == 201
    lunch = meal(session, actor_for("petugas").tps_id)
    advance_delivery(session, Actor.system(), lunch.id, S.DISPATCHED)
    advance_delivery(session, Actor.system(), lunch.id, S.ARRIVED)

    outbox()

    assert push_service.rejected == [] and push_service.to(medic_phone) == []
    [got] = push_service.to(officer_phone)
    assert got.payload["kind"] == "delivery.arrived" and got.payload["title"] == "Makanan sampai — konfirmasi"
    assert got.payload["url"] == f"/lapangan/tps/{lunch.tps_id}/kiriman" and got.urgency == "normal"
    assert got.payload["body"] == f"TPS {lunch.tps.code}"


def test_in_production_even_this_machine_must_be_https(app, session, push_service, monkeypatch):
    monkeypatch.setitem(app.config, "SIAGA_ENV", "production")
    answer = subscribe(browser(app, session, "medis"), push_service.subscribe())  # http://127.0.0.1:...
    assert answer.status_code == 422 and "endpoint" in answer.get_json()["error"]["fields"]


def test_coordinators_hear_officers_below_quorum_at_high_urgency(app, session, actor_for, push_service, outbox):
    from logistics.services.tps_status import report_officers_present

    city, officer_phone = push_service.subscribe(), push_service.subscribe()
    assert subscribe(browser(app, session, "koordinator"), city).status_code == 201
    assert subscribe(browser(app, session, "petugas"), officer_phone).status_code == 201
    petugas = actor_for("petugas")
    report_officers_present(session, petugas, petugas.tps_id, 1)

    outbox()

    [got] = push_service.to(city)
    assert got.payload["kind"] == "tps.below_quorum" and got.urgency == "high"
    assert got.payload["url"] == "/dashboard" and "TPS " in got.payload["body"]
    assert push_service.to(officer_phone) == [] and push_service.rejected == []


def test_a_drill_event_says_it_is_a_drill(app, session, actor_for):
    from siaga.worker.webpush import payload

    tps_id = actor_for("petugas").tps_id
    event = OutboxEvent(id=1, kind="incident.reassigned", entity_type="health_incident", entity_id=5,
                        data={"triage": "kuning", "tps_id": tps_id, "drill": True})
    with app.app_context():
        body = payload(session, event)
    assert body["title"] == "Latihan: Kejadian KUNING dialihkan ke pos Anda"
    assert body["url"] == "/lapangan/kejadian/5" and body["tag"] == "siaga-1"


def renew(client, old: push.Device, new: push.Device, **changes):
    """What field/static/sw.js posts on `pushsubscriptionchange`: no CSRF token (a worker has no page)."""
    body = {**new.subscription_json(), "old_endpoint": old.endpoint,
            "old_auth": old.subscription_json()["keys"]["auth"], **changes}
    return client.post("/notifikasi/ganti", json=body, headers={"User-Agent": "Mozilla/5.0 (Linux; Android 10)"})


def test_a_renewed_subscription_replaces_the_old_endpoint_for_the_same_login(
        app, session, actor_for, push_service, outbox):
    old, new, stranger = push_service.subscribe(), push_service.subscribe(), push_service.subscribe()
    medic = browser(app, session, "medis")
    assert subscribe(medic, old).status_code == 201

    # Refused, and nothing changes: another login, a wrong auth secret, nobody logged in, bad input.
    officer = browser(app, session, "petugas")
    assert renew(officer, old, stranger).status_code == 404  # not the officer's subscription
    assert renew(medic, old, stranger, old_auth=stranger.subscription_json()["keys"]["auth"]).status_code == 404
    assert renew(app.test_client(), old, stranger).status_code in (302, 401)
    bad = renew(medic, old, stranger, old_endpoint="ftp://x")
    assert bad.status_code == 422 and "old_endpoint" in json.dumps(bad.get_json())
    assert [s.endpoint for s in session.scalars(select(PushSubscription))] == [old.endpoint]

    answer = renew(medic, old, new)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    [row] = session.scalars(select(PushSubscription)).all()
    medis = user(session, "medis")
    assert (row.endpoint, row.user_id, row.session_version) == (new.endpoint, medis.id, medis.session_version)
    assert row.auth == new.subscription_json()["keys"]["auth"]
    assert renew(medic, old, new).status_code == 404  # the old one is gone: a replay changes nothing

    report_merah(session, actor_for)
    outbox()
    assert len(push_service.to(new)) == 1 and push_service.to(old) == []


def _known(page: str) -> set[str]:
    return set(re.search(r'data-push-known="([^"]*)"', page).group(1).split())


def test_a_field_page_says_which_subscriptions_the_server_still_holds(app, session, actor_for, push_service, outbox):
    """The push service answering 404/410 makes the worker drop the subscription, but the browser keeps it:
    every full answer of a field page names the subscriptions the server holds for the login (digests of
    their endpoints), so the page (push.js) sees its own is gone and subscribes again."""
    from siaga.push import endpoint_mark

    kept, dropped = push_service.subscribe(), push_service.subscribe()
    medic = browser(app, session, "medis")
    for device in (kept, dropped):
        assert subscribe(medic, device).status_code == 201
    page = medic.get("/lapangan/pos", follow_redirects=True).get_data(as_text=True)
    assert _known(page) == {endpoint_mark(kept.endpoint), endpoint_mark(dropped.endpoint)}
    assert kept.endpoint not in page  # the endpoint is the capability to push to the browser: never shown
    push_service.gone(dropped.endpoint)
    report_merah(session, actor_for)
    assert outbox().gone == 1
    page = medic.get("/lapangan/pos", follow_redirects=True).get_data(as_text=True)  # the new merah: a full answer
    assert _known(page) == {endpoint_mark(kept.endpoint)}
    # the mark is push.js's: the first 16 hex digits of the endpoint's SHA-256
    assert endpoint_mark("https://push.example.org/x") == hashlib.sha256(b"https://push.example.org/x").hexdigest()[:16]
    # a coordinator's pages offer no field page's interval, so they say nothing of it
    assert "data-push-known" not in browser(app, session, "koordinator").get("/dashboard").get_data(as_text=True)
