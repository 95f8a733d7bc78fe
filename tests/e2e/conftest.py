"""End-to-end harness: the real app served by a subprocess on its own seeded database, and
Debian's Chromium driven by Playwright (`executable_path`, no downloaded browser).

Screenshots go to test-artifacts/screenshots/ for a person to look at.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from tests.conftest import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
E2E_SCHEMA = "siaga_e2e"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    """A free local port: the first free one of `E2E_PORTS` ("20400-20499") when set, for a machine whose
    runs share out port ranges; else any the system gives."""
    if os.environ.get("E2E_PORTS"):
        low, high = (int(part) for part in os.environ["E2E_PORTS"].split("-"))
        for port in range(low, high + 1):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise RuntimeError(f"no free port in E2E_PORTS={os.environ['E2E_PORTS']}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def e2e_database_url(database_url, tmp_path_factory) -> str:
    """A database of the suite's kind that the live server commits to for real."""
    return own_database_url(database_url, tmp_path_factory, E2E_SCHEMA)


def own_database_url(database_url: str, tmp_path_factory, schema: str) -> str:
    """An empty database of the suite's kind for one live server: a new file on SQLite, the schema `schema`
    (dropped and made again) on PostgreSQL, reached through the connection's search_path."""
    if database_url.startswith("sqlite"):
        return "sqlite:///" + str(tmp_path_factory.mktemp(schema) / f"{schema}.db")
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    sep = "&" if "?" in database_url else "?"
    return f"{database_url}{sep}options=-csearch_path%3D{schema}"


def server_env(database_url: str, **extra: str) -> dict:
    """The environment of a live server on `database_url`."""
    return {**os.environ, "SIAGA_ENV": "testing", "SECRET_KEY": "e2e-secret", "DATABASE_URL": database_url,
            "FLASK_APP": "wsgi", **extra}


# A field page on a browser holding a push subscription checks itself this often (LIVE_POLL_PUSHED_S): an hour,
# longer than any test, so a subscribed page that shows a change was told by a push (test_live_push_e2e.py).
# Pages of a browser without a subscription (every other test's) check every 5 s as usual.
PUSHED_PAGE_CHECK_S = 3600


def demo_env(database_url: str) -> dict:
    """A live server holding the demo city: its accounts' password, and the map's grid counted as in
    production (the worker's to refresh); no worker runs here, so counts behind the data are counted live by
    the request (maps/data.py)."""
    return server_env(database_url, DEMO_PASSWORD=DEMO_PASSWORD, MAP_GRID_REFRESH="background",
                      MAP_GRID_REFRESH_S="1", LIVE_POLL_PUSHED_S=str(PUSHED_PAGE_CHECK_S))


@pytest.fixture(scope="session")
def live_server(e2e_database_url, tmp_path_factory):
    """Base URL of the app running in its own process, migrated and seeded like the demo."""
    yield from serve(demo_env(e2e_database_url), (["db", "upgrade"], ["seed-demo"]), tmp_path_factory)


def serve(env: dict, steps, tmp_path_factory):
    """Run the `flask` set-up steps, then the app in its own process until the fixture ends; yields its URL."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for step in steps:
        subprocess.run(flask + step, cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    log = (tmp_path_factory.mktemp("e2e-log") / "server.log").open("w")
    server = subprocess.Popen(flask + ["run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"live server did not start; see {log.name}")
            time.sleep(0.2)
    yield base_url
    server.terminate()
    server.wait(timeout=10)
    log.close()


def serve_fresh(database_url: str, tmp_path_factory, schema: str, admin_password: str):
    """The app on an empty, migrated database of its own (a file on SQLite, a schema on PostgreSQL): no demo,
    one admin (`admin`); yields its URL."""
    env = server_env(own_database_url(database_url, tmp_path_factory, schema))
    yield from serve(env, (["db", "upgrade"], ["create-admin", "admin", "--password", admin_password]), tmp_path_factory)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: scripts/test.sh installs Debian's chromium package")
        pytest.skip("Chromium not installed (apt-get install chromium) - skipping browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _page(browser, options):
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture()
def phone(browser):
    """A page in a 390x844 phone-sized, touch-enabled browser context."""
    yield from _page(browser, PHONE)


@pytest.fixture()
def desktop(browser):
    """A page in a 1366x768 command-post screen."""
    yield from _page(browser, DESKTOP)


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot to look at; `full_page=False` keeps just what fits on the screen."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def log_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def log_in_field(page, base_url: str, username: str) -> None:
    """Log in and wait until the landing field page is loaded, its offline queue script included."""
    log_in(page, base_url, username)
    page.wait_for_url("**/lapangan/**")
    wait_for_field_script(page)


def wait_for_field_script(page) -> None:
    """A field page's forms are posted by its script (the offline queue, errors shown in place): a tap
    before it is ready posts the plain form and lands on another page."""
    page.wait_for_function("() => window.siagaOutbox !== undefined")


@pytest.fixture(scope="session")
def e2e_db(e2e_database_url):
    """The live server's database, for checking what the browser's taps stored."""
    engine = create_engine(e2e_database_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def e2e_session(e2e_database_url):
    """A session on the live server's own database: posts made here are what a phone would post."""
    from sqlalchemy.orm import Session

    engine = create_engine(e2e_database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def actor(session, username: str):
    """The Actor of a demo account, for calling the services as that user would."""
    from sqlalchemy import select

    from logistics.actor import Actor
    from logistics.models import User

    return Actor.from_user(session.scalar(select(User).where(User.username == username)))


def new_phone(browser):
    """A second phone-sized context (another person's phone): (context, page); close the context after."""
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", **PHONE)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def service_worker_registration(page) -> tuple:
    """(CDP session, registration id) of the field service worker, to hand it pushes
    (`ServiceWorker.deliverPushMessage`)."""
    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if any(r["scopeURL"].endswith("/lapangan/") for r in registrations):
            break
        page.wait_for_timeout(100)
    return cdp, next(r for r in registrations if r["scopeURL"].endswith("/lapangan/"))["registrationId"]


def planned_meal(session, tps_id: int):
    """A meal of the TPS still planned (other tests walk its rounds; a test puts it back as planned)."""
    from logistics.models import Delivery, DeliveryKind, DeliveryStatus

    meal = session.scalars(select(Delivery).where(
        Delivery.tps_id == tps_id, Delivery.kind == DeliveryKind.MEAL,
        Delivery.status == DeliveryStatus.PLANNED).order_by(Delivery.planned_at.desc())).first()
    assert meal is not None
    return meal
