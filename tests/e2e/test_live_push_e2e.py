"""A field page on a phone that takes Web Push checks itself rarely, and at once when a push for it arrives
(docs/SCALING.md, proposal 2), in phone-sized headless Chromium.

The officer turns notifications on: the subscription is posted to the server (push.js), and from then on
the TPS page's own checks run every LIVE_POLL_PUSHED_S, set to an hour for these tests (conftest.py), so
within the test it makes none. A meal is marked arrived for their TPS: the page does not show it by itself.
One worker pass (the real `webpush` channel, in this process, against the live server's database) sends the
event to the local push service (tests/push_service.py), which verifies and decrypts it; that payload is
handed to the browser's service worker as its push client would (the DevTools protocol's
ServiceWorker.deliverPushMessage): the sw tells the open page, which checks at once and shows the banner.

Headless Chromium has no push service of its own, so the page's PushManager is a stand-in returning a
subscription of the local push service; everything after it (the post, the server's row, the worker's
choice of recipients, the encryption) is real."""
import json

import pytest
from playwright.sync_api import expect
from py_vapid import Vapid
from sqlalchemy import select, update

from logistics.models import DeliveryStatus, OutboxEvent, PushSubscription, User
from logistics.services.deliveries import advance_delivery, correct_delivery
from logistics.timeutil import utcnow
from tests import push_service as push
from tests.e2e.conftest import PUSHED_PAGE_CHECK_S, actor, log_in_field, planned_meal, service_worker_registration

pytestmark = pytest.mark.e2e
QUIET_S = 11  # more than twice the 5-s check: a page checking every 5 s would have checked at least once
SHOWN_WITHIN_MS = 10_000

# The page's PushManager, as a phone's would be with the local push service behind it: subscribe() gives
# the test's device (the next of the test's devices after an unsubscribe), getSubscription() what was
# subscribed (kept across page loads), unsubscribe() forgets.
FAKE_PUSH_MANAGER = """(() => {
  const KEY = "__test_push_subscription", DEVICES = [].concat(%s);
  const make = (json) => ({endpoint: json.endpoint, expirationTime: null, options: {}, toJSON: () => json,
                           unsubscribe: () => { localStorage.removeItem(KEY); return Promise.resolve(true); }});
  PushManager.prototype.getSubscription = function () {
    const kept = localStorage.getItem(KEY);
    return Promise.resolve(kept ? make(JSON.parse(kept)) : null);
  };
  PushManager.prototype.subscribe = function () {
    const kept = localStorage.getItem(KEY);
    if (kept) { return Promise.resolve(make(JSON.parse(kept))); }
    const n = Number(localStorage.getItem(KEY + "#") || 0), device = DEVICES[Math.min(n, DEVICES.length - 1)];
    localStorage.setItem(KEY + "#", String(n + 1));
    localStorage.setItem(KEY, JSON.stringify(device));
    return Promise.resolve(make(device));
  };
})();"""


@pytest.fixture()
def worker_pass(e2e_database_url, monkeypatch):
    """The worker's passes of its `webpush` channel over the live server's database (no worker runs there)."""
    from siaga.app import create_app
    from siaga.config import normalise_database_url
    from siaga.extensions import db
    from siaga.vapid import VapidKeys
    from siaga.worker.channels import channels_for
    from tests.worker_passes import passes_until_idle

    monkeypatch.setenv("SIAGA_ENV", "testing")
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(e2e_database_url)})
    key = Vapid()
    key.generate_keys()
    point = key.public_key.public_bytes(push.serialization.Encoding.X962,
                                        push.serialization.PublicFormat.UncompressedPoint)
    app.extensions["siaga_vapid"] = VapidKeys(key, push.b64url(point), "mailto:ops@siaga-tps.invalid")

    def run_pass():
        with app.app_context():
            channels = [channel for channel in channels_for(app) if channel.name == "webpush"]
            return passes_until_idle(db.session, channels)

    yield run_pass
    with app.app_context():
        db.engine.dispose()


def checks(phone) -> int:
    return int(phone.evaluate("document.body.dataset.liveChecks || '0'"))


def test_a_subscribed_page_checks_rarely_and_at_once_on_a_push_for_it(phone, live_server, e2e_session,
                                                                         push_service, worker_pass):
    errors = []
    phone.on("pageerror", lambda e: errors.append(str(e)))
    device = push_service.subscribe()
    phone.context.grant_permissions(["notifications"], origin=live_server)
    phone.context.add_init_script(FAKE_PUSH_MANAGER % json.dumps(device.subscription_json()))
    officer = e2e_session.scalar(select(User).where(User.username == "petugas"))
    meal = planned_meal(e2e_session, officer.tps_id)

    log_in_field(phone, live_server, "petugas")
    phone.wait_for_function("() => window.siagaLive !== undefined && navigator.serviceWorker.controller !== null")
    assert phone.evaluate("document.body.dataset.livePushedS") == str(PUSHED_PAGE_CHECK_S)
    # Without a subscription the page checks every 5 s.
    phone.wait_for_function("() => document.body.dataset.liveEvery === '5000'")
    toggle = phone.locator("#push-toggle button")
    expect(toggle).to_have_text("Aktifkan notifikasi")
    toggle.click()
    phone.wait_for_function("() => document.body.dataset.pushSubscribed === '1'")
    expect(toggle).to_have_text("Matikan notifikasi")
    e2e_session.expire_all()
    assert e2e_session.scalar(select(PushSubscription.endpoint).where(PushSubscription.user_id == officer.id)) \
        == device.endpoint  # the server knows it: the worker will push to it
    assert phone.evaluate("document.body.dataset.liveEvery") == str(PUSHED_PAGE_CHECK_S * 1000)
    phone.evaluate("window.__samePage = true")

    # The meal reaches the TPS (the courier's steps); the page, checking once an hour, does not know yet.
    e2e_session.execute(update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
    e2e_session.commit()
    coordinator = actor(e2e_session, "koordinator")  # stands in for the courier's phone
    advance_delivery(e2e_session, coordinator, meal.id, DeliveryStatus.DISPATCHED)
    advance_delivery(e2e_session, coordinator, meal.id, DeliveryStatus.ARRIVED)
    banner = phone.locator(f"#sampai-{meal.id}")
    try:
        before = checks(phone)
        phone.wait_for_timeout(QUIET_S * 1000)
        assert checks(phone) == before  # not one check in more than two 5-s intervals
        assert banner.count() == 0

        # The worker pushes the arrival to the officer's subscription; the push service decrypts it.
        worker_pass()
        [pushed] = push_service.to(device)
        assert pushed.payload["kind"] == "delivery.arrived" and push_service.rejected == []
        # The browser's push client hands it to the service worker, which tells the open page.
        cdp, registration = service_worker_registration(phone)
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server, "registrationId": registration,
                                                      "data": json.dumps(pushed.payload)})
        expect(banner).to_contain_text("Makanan sampai — konfirmasi", timeout=SHOWN_WITHIN_MS)
        assert checks(phone) >= before + 1
        assert phone.evaluate("window.__samePage") is True
        assert phone.evaluate("document.body.dataset.liveEvery") == str(PUSHED_PAGE_CHECK_S * 1000)

        # Notifications off: the page checks every 5 s again.
        toggle.click()
        phone.wait_for_function("() => document.body.dataset.pushSubscribed === ''")
        phone.wait_for_function("() => document.body.dataset.liveEvery === '5000'")
    finally:
        correct_delivery(e2e_session, coordinator, meal.id, DeliveryStatus.PLANNED, "e2e: kembali direncanakan")
    assert errors == []


def test_a_subscription_the_push_service_dropped_is_made_again(phone, live_server, e2e_session, push_service,
                                                              worker_pass):
    """The push service answers 410 for the phone's subscription: the worker drops it, the browser keeps it.
    The page's next full answer says the server no longer holds it (data-push-known), so the page checks every
    5 s again and subscribes anew, and the server has the new subscription to push to."""
    errors = []
    phone.on("pageerror", lambda e: errors.append(str(e)))
    first, second = push_service.subscribe(), push_service.subscribe()
    phone.context.grant_permissions(["notifications"], origin=live_server)
    phone.context.add_init_script(FAKE_PUSH_MANAGER % json.dumps([first.subscription_json(),
                                                                  second.subscription_json()]))
    officer = e2e_session.scalar(select(User).where(User.username == "petugas"))
    meal = planned_meal(e2e_session, officer.tps_id)

    def held() -> set[str]:
        e2e_session.expire_all()
        return set(e2e_session.scalars(select(PushSubscription.endpoint).where(PushSubscription.user_id == officer.id)))

    log_in_field(phone, live_server, "petugas")
    phone.wait_for_function("() => window.siagaLive !== undefined && navigator.serviceWorker.controller !== null")
    phone.locator("#push-toggle button").click()
    phone.wait_for_function("() => document.body.dataset.pushSubscribed === '1'")
    assert held() == {first.endpoint}

    e2e_session.execute(update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
    e2e_session.commit()
    coordinator = actor(e2e_session, "koordinator")
    try:
        push_service.gone(first.endpoint)  # the push service forgot it; the browser did not
        advance_delivery(e2e_session, coordinator, meal.id, DeliveryStatus.DISPATCHED)
        advance_delivery(e2e_session, coordinator, meal.id, DeliveryStatus.ARRIVED)
        worker_pass()
        assert held() == set() and push_service.to(first) == []
        assert phone.evaluate("document.body.dataset.pushSubscribed") == "1"  # the page cannot know yet

        phone.evaluate("window.siagaLive.now()")  # its next check (every LIVE_POLL_PUSHED_S): a full answer
        expect(phone.locator(f"#sampai-{meal.id}")).to_contain_text("Makanan sampai", timeout=SHOWN_WITHIN_MS)
        phone.wait_for_function("() => document.body.dataset.pushSubscribed === '1' && "
                                "document.body.dataset.liveEvery === '%d'" % (PUSHED_PAGE_CHECK_S * 1000))
        for _ in range(50):
            if held() == {second.endpoint}:
                break
            phone.wait_for_timeout(100)
        assert held() == {second.endpoint}  # subscribed anew: the worker pushes to it
        expect(phone.locator("#push-toggle button")).to_have_text("Matikan notifikasi")
    finally:
        correct_delivery(e2e_session, coordinator, meal.id, DeliveryStatus.PLANNED, "e2e: kembali direncanakan")
    assert errors == []
