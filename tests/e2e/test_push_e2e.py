"""Web Push in Chromium: the field page offers "Aktifkan notifikasi", and the service worker shows a pushed
event once by its tag even when the same event is pushed twice (the repeat a killed worker can send).

The push is handed to the service worker through the DevTools protocol (ServiceWorker.deliverPushMessage),
as the browser's push client would after decrypting it; the protocol itself is tested against the local
push service in tests/test_webpush.py."""
import json

import pytest

from tests.e2e.conftest import log_in_field

pytestmark = pytest.mark.e2e

NOTIFICATIONS = """() => navigator.serviceWorker.ready.then(r => r.getNotifications())
  .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))"""


def test_a_push_shows_one_notification_per_event_tag(phone, live_server):
    phone.context.grant_permissions(["notifications"], origin=live_server)
    log_in_field(phone, live_server, "medis")
    toggle = phone.locator("#push-toggle")
    toggle.wait_for(state="visible")
    assert toggle.locator("button").inner_text() == "Aktifkan notifikasi"
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null")

    cdp = phone.context.new_cdp_session(phone)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if any(r["scopeURL"].endswith("/lapangan/") for r in registrations):
            break
        phone.wait_for_timeout(100)
    registration = next(r for r in registrations if r["scopeURL"].endswith("/lapangan/"))
    payload = {"kind": "incident.reported", "event_id": 7, "tag": "siaga-7", "title": "Kejadian MERAH baru",
               "body": "TPS 19.71.01.1004-001", "url": "/lapangan/kejadian/7"}
    later = {**payload, "event_id": 8, "tag": "siaga-8", "title": "Kejadian KUNING baru", "url": "/lapangan/kejadian/8"}
    for data in (payload, payload, later):  # the same event twice, then another one
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server, "registrationId":
                                                      registration["registrationId"], "data": json.dumps(data)})
        phone.wait_for_function(f"() => ({NOTIFICATIONS})().then(list => list.some(n => n.tag === '{data['tag']}'))")

    assert sorted(phone.evaluate(NOTIFICATIONS), key=lambda n: n["tag"]) == [
        {"title": "Kejadian MERAH baru", "body": "TPS 19.71.01.1004-001", "tag": "siaga-7", "url": "/lapangan/kejadian/7"},
        {"title": "Kejadian KUNING baru", "body": "TPS 19.71.01.1004-001", "tag": "siaga-8", "url": "/lapangan/kejadian/8"}]
