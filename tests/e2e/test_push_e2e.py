"""Web Push in Chromium: the field page offers "Aktifkan notifikasi", and the service worker shows a pushed
event under its tag, so the same event pushed twice (the repeat a killed worker can send) replaces its own
notification instead of making a second one.

The push is handed to the service worker through the DevTools protocol (ServiceWorker.deliverPushMessage),
as the browser's push client would after decrypting it; the protocol itself is tested against the local
push service in tests/test_webpush.py."""
import json

import pytest

from tests.e2e.conftest import log_in_field, service_worker_registration

pytestmark = pytest.mark.e2e

# Records each notification the service worker asks for (headless Chromium shows none on a screen, and
# may close them at once, so what the worker asked for is what is checked).
RECORD = """() => {
  self.shown = [];
  const show = self.registration.showNotification.bind(self.registration);
  self.registration.showNotification = (title, options) => {
    self.shown.push({title, body: options.body, tag: options.tag, renotify: options.renotify,
                     silent: !!options.silent, url: options.data.url});
    return show(title, options);
  };
}"""


def test_a_push_shows_one_notification_per_event_tag(phone, live_server):
    phone.context.grant_permissions(["notifications"], origin=live_server)
    log_in_field(phone, live_server, "medis")
    toggle = phone.locator("#push-toggle")
    toggle.wait_for(state="visible")
    assert toggle.locator("button").inner_text() == "Aktifkan notifikasi"
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
    [worker] = [w for w in phone.context.service_workers if w.url.endswith("/lapangan/sw.js")]
    worker.evaluate(RECORD)

    cdp, registration_id = service_worker_registration(phone)
    payload = {"kind": "incident.reported", "event_id": 7, "tag": "siaga-7", "title": "Kejadian MERAH baru",
               "body": "TPS 19.71.01.1004-001", "url": "/lapangan/kejadian/7"}
    later = {**payload, "event_id": 8, "tag": "siaga-8", "title": "Kejadian KUNING baru", "url": "/lapangan/kejadian/8"}
    for count, data in enumerate((payload, payload, later), start=1):  # the same event twice, then another
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": live_server, "registrationId":
                                                      registration_id, "data": json.dumps(data)})
        for _ in range(100):
            if len(worker.evaluate("() => self.shown")) == count:
                break
            phone.wait_for_timeout(100)

    shown = worker.evaluate("() => self.shown")
    first = {"title": "Kejadian MERAH baru", "body": "TPS 19.71.01.1004-001", "tag": "siaga-7", "renotify": False,
             "url": "/lapangan/kejadian/7"}
    # The repeat replaces the notification of its tag (never a second one), without a second sound when the
    # first is still on screen; another event is a notification of its own.
    assert shown[0] == {**first, "silent": False}
    assert {k: v for k, v in shown[1].items() if k != "silent"} == first
    assert shown[2] == {"title": "Kejadian KUNING baru", "body": "TPS 19.71.01.1004-001", "tag": "siaga-8",
                        "renotify": False, "silent": False, "url": "/lapangan/kejadian/8"}
    assert len(shown) == 3
