"""The field service worker keeps copies of field pages (names of patients and officers) only for the login
that fetched them: after logout, after the session lapsed, or past the login's 30 h, none is left or served."""
import pytest

from tests.e2e.conftest import log_in_field

pytestmark = pytest.mark.e2e

# Every cached field page (not the shared CSS/JS), as "cache name path", from any page of the origin.
CACHED_FIELD_PAGES = """async () => {
  const found = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const path = new URL(request.url).pathname;
      if (path.startsWith('/lapangan/') && !path.startsWith('/lapangan/static/')) { found.push(name + ' ' + path); }
    }
  }
  return found;
}"""
NO_FIELD_PAGE_CACHED = f"async () => (await ({CACHED_FIELD_PAGES})()).length === 0"


def eventually(page, check: str, arg=None, seconds: float = 10) -> None:
    """Poll an async page function until it gives a truthy value (wait_for_function takes a promise as truthy)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(check, arg):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {seconds} s: {check}")


def cache_field_pages(phone, live_server):
    log_in_field(phone, live_server, "petugas")
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null")
    phone.wait_for_function("() => document.documentElement.dataset.precached !== undefined")  # copied at login
    phone.goto(live_server + "/lapangan/kejadian/baru")
    eventually(phone, f"async () => (await ({CACHED_FIELD_PAGES})()).some(e => e.endsWith('/kejadian/baru'))")
    cached = phone.evaluate(CACHED_FIELD_PAGES)
    assert all(entry.startswith("siaga-field-") for entry in cached), cached
    return cached


def assert_not_served_offline(phone, live_server):
    phone.context.set_offline(True)
    try:
        with pytest.raises(Exception):
            phone.goto(live_server + "/lapangan/kejadian/baru")
    finally:
        phone.context.set_offline(False)


def test_logout_leaves_no_field_page_in_the_service_worker_cache(phone, live_server):
    cache_field_pages(phone, live_server)
    phone.click("nav.topbar button:has-text('Keluar')")
    phone.wait_for_url("**/login")
    eventually(phone, NO_FIELD_PAGE_CACHED)
    assert_not_served_offline(phone, live_server)


def test_a_lapsed_session_leaves_no_field_page_once_the_server_says_so(phone, live_server):
    cache_field_pages(phone, live_server)
    phone.context.clear_cookies()  # the session ended on the server's side (expired, revoked)
    phone.goto(live_server + "/lapangan/kejadian/baru")  # answered with a redirect to the login page
    phone.wait_for_url("**/login**")
    eventually(phone, NO_FIELD_PAGE_CACHED)


def test_an_expired_login_cache_is_not_served_offline_and_is_deleted(phone, live_server):
    cached = cache_field_pages(phone, live_server)
    live = cached[0].split(" ")[0]
    expired = live.rsplit(".", 1)[0] + ".1000"  # the same login, its 30 h long past
    phone.evaluate("""async ([live, expired]) => {
      const from = await caches.open(live), to = await caches.open(expired);
      for (const request of await from.keys()) { await to.put(request, await from.match(request)); }
      await caches.delete(live);
    }""", [live, expired])
    assert any(e.startswith(expired) for e in phone.evaluate(CACHED_FIELD_PAGES))
    assert_not_served_offline(phone, live_server)
    phone.goto(live_server + "/healthz")  # a page of the origin that tells the service worker nothing
    assert phone.evaluate(CACHED_FIELD_PAGES) == []


def test_another_login_on_the_same_phone_does_not_find_the_first_ones_pages(phone, live_server):
    first = {entry.split(" ")[0] for entry in cache_field_pages(phone, live_server)}
    phone.context.clear_cookies()
    log_in_field(phone, live_server, "kurir")
    eventually(phone, f"""async (first) => {{
      const names = (await ({CACHED_FIELD_PAGES})()).map(e => e.split(' ')[0]);
      return names.length > 0 && !names.some(n => first.includes(n));
    }}""", sorted(first))
