"""Logins against a real server of several gunicorn workers on a scratch database of the suite's kind (issue 24,
findings 2 and 3): failed logins are counted once for all workers, and a login card's code logs in once even
when two logins with it arrive together."""
from __future__ import annotations

import os
import re
import uuid

import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bench.live_app import Server, drop_scratch_database, prepare_database, scratch_postgres_url
from logistics.actor import Actor
from logistics.models import Role, User
from logistics.services import field_accounts
from tests.test_write_races import together

pytestmark = pytest.mark.live
WORKERS = 4


@pytest.fixture(scope="module")
def live(database_url, tmp_path_factory):
    if database_url.startswith("sqlite"):
        url = "sqlite:///" + str(tmp_path_factory.mktemp("logins") / "logins.db")
    else:
        url = scratch_postgres_url(database_url, "logins")
    demo = prepare_database(url)
    server = Server(demo.database_url, workers=WORKERS, log_path=str(tmp_path_factory.mktemp("logins") / "gunicorn.log"))
    if os.environ.get("LIVE_PORT"):  # a port of one's own on a shared machine
        server.port = int(os.environ["LIVE_PORT"])
        server.url = f"http://127.0.0.1:{server.port}"
    server.start(timeout=120)  # 4 workers importing the app on a busy machine
    engine = create_engine(demo.database_url)
    try:
        yield server, engine
    finally:
        engine.dispose()
        server.stop()
        drop_scratch_database(demo.database_url)


def attempt(server, username: str, password: str):
    """One login from a new browser: the page (for its CSRF token), then the post."""
    def go():
        browser = requests.Session()
        page = browser.get(server.url + "/login", timeout=20).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return browser.post(server.url + "/login", data={"username": username, "password": password,
                                                         "csrf_token": token},
                            allow_redirects=False, timeout=20)
    return go


def test_failed_logins_are_counted_once_across_workers(live):
    server, _engine = live
    username = "tebakan-" + uuid.uuid4().hex[:10]
    # 10 failures (the default limit per username and address), each answered by whichever worker is free.
    statuses = [attempt(server, username, "salah")().status_code for _ in range(10)]
    assert statuses == [400] * 10
    refused = attempt(server, username, "salah")()
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert len(server.worker_pids()) == WORKERS


def test_two_logins_with_one_card_at_once_let_one_in(live):
    server, engine = live
    with Session(engine) as session:
        users = session.scalars(select(User).where(User.role == Role.MEDIC, User.active.is_(True))
                                .order_by(User.id).limit(3)).all()
        cards = [field_accounts.reset_pin(session, Actor.system("test"), user.id) for user in users]
    for card in cards:
        results = together(*[attempt(server, card.username, card.pin) for _ in range(2)])
        assert sorted(r.status_code for r in results) == [302, 400], [r.text[:200] for r in results]
        assert attempt(server, card.username, card.pin)().status_code == 400  # used up
