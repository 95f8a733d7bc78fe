"""Several app servers (scripts/cluster.sh): two gunicorn servers on one PostgreSQL database and one Redis,
behind nginx. A login made on one server works on the other; the login throttle counts across both; the
map's grid and coverage answers agree; each server's /metrics adds up its workers (and forgets a killed
one); and with one server stopped gracefully, started again and then the other killed -9 while clients
post through nginx, every acknowledged post is stored exactly once.

PostgreSQL only: several servers share a database over the network, which SQLite is not; on the SQLite
run the test is skipped (with that reason). It also needs Debian's nginx (scripts/test.sh installs it
like chromium) and Redis (REDIS_URL, default redis://127.0.0.1:6379/0); without them it is skipped with
the reason, never silently passed. About a minute: one scratch database, one cluster for every check.

And what the servers do when the shared Redis is down (both databases, no cluster needed): the API and
logins go on, limits counted per worker meanwhile.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bench.cluster import Cluster, missing_prerequisite
from bench.live_app import drop_scratch_database, prepare_database, scratch_postgres_url
from bench.load_faults import csrf_from, logged_in, run_phase

live = pytest.mark.live
USERNAME_LIMIT = 4  # failed logins per username before 429 (LOGIN_LIMIT_PER_USERNAME for this cluster)
CLIENTS = 16
SECONDS = 20


@pytest.fixture(scope="module")
def cluster(database_url):
    reason = missing_prerequisite(database_url, os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    if reason:
        pytest.skip(reason)
    demo = prepare_database(scratch_postgres_url(database_url, "cluster"))
    running = Cluster(demo.database_url, servers=2, workers=2,
                      env={"LOGIN_LIMIT_PER_USERNAME": f"{USERNAME_LIMIT} per 15 minutes"}).start()
    running.demo = demo
    try:
        yield running
    finally:
        running.stop()
        drop_scratch_database(demo.database_url)
    shutil.rmtree(running.dir, ignore_errors=True)  # logs and configuration of this run


def _metric(base: str, name: str, labels: str = "") -> float:
    """One sample from a server's /metrics (scraped directly on loopback, as Prometheus would)."""
    body = requests.get(base + "/metrics", timeout=30).text
    match = re.search(rf"^{re.escape(name + labels)} ([0-9.e+]+)$", body, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


@live
def test_the_cluster_runs_its_one_worker(cluster):
    """scripts/cluster.sh starts one worker beside the servers: /healthz, on either server, finds its beat."""
    deadline = time.monotonic() + 60  # its first beat: once the worker process has started
    while (body := requests.get(cluster.url + "/healthz", timeout=30).json())["status"] != "ok":
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert body == {"status": "ok", "database": "ok", "worker": "ok"}
    assert all(requests.get(url + "/healthz", timeout=30).json()["worker"] == "ok" for url in cluster.server_urls)
    assert int((cluster.dir / "worker.pid").read_text()) > 0


@live
def test_a_login_made_on_one_server_works_on_the_other(cluster):
    a, b = cluster.server_urls
    browser = logged_in(a, "koordinator")
    assert browser.get(b + "/dashboard", allow_redirects=False, timeout=30).status_code == 200
    anonymous = requests.get(b + "/dashboard", allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


@live
def test_the_login_throttle_counts_across_both_servers(cluster):
    """Each server (and each worker) alone sees at most half the failures; only a shared count refuses."""
    a, b = cluster.server_urls
    username = f"tamu-{uuid.uuid4().hex[:8]}"
    browser = requests.Session()
    token = csrf_from(browser.get(a + "/login", timeout=30).text)
    statuses = []
    for attempt in range(USERNAME_LIMIT + 1):
        base = (a, b)[attempt % 2]
        statuses.append(browser.post(base + "/login", data={"username": username, "password": "salah",
                                                            "csrf_token": token}, timeout=30).status_code)
    assert statuses == [400] * USERNAME_LIMIT + [429]
    # and the other server refuses too
    again = browser.post(b + "/login", data={"username": username, "password": "salah", "csrf_token": token},
                         timeout=30)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0


@live
def test_both_servers_give_the_same_grid_and_coverage(cluster):
    a, b = cluster.server_urls
    browser = logged_in(a, "koordinator")
    box = "bbox=105.9,-2.3,106.3,-2.0"
    for path in (f"/map/data/tps.geojson?{box}&zoom=9",  # the grid, zoomed out
                 f"/map/data/tps.geojson?{box}&zoom=16",  # each TPS with its nearest medic station
                 f"/map/data/stations.geojson?{box}"):  # each station with the TPS it covers
        answers = [browser.get(base + path, timeout=30) for base in (a, b)]
        assert [r.status_code for r in answers] == [200, 200], path
        assert answers[0].json() == answers[1].json(), path
        assert answers[0].json()["features"], path
        assert answers[0].headers["ETag"] == answers[1].headers["ETag"], path


@live
def test_the_request_id_goes_through_nginx_and_back(cluster):
    response = requests.get(cluster.url + "/healthz", headers={"X-Request-ID": "cluster-test-0001"}, timeout=30)
    assert response.headers["X-Request-ID"] == "cluster-test-0001"
    made = requests.get(cluster.url + "/healthz", timeout=30).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)  # nginx's $request_id, logged by the app as well
    time.sleep(0.2)
    logs = cluster.log(1).read_text() + cluster.log(2).read_text()
    assert '"request_id":"cluster-test-0001"' in logs and f'"request_id":"{made}"' in logs
    assert requests.get(cluster.url + "/metrics", timeout=30).status_code == 404  # not through the balancer


@live
def test_metrics_add_up_the_workers_and_forget_a_killed_one(cluster):
    a = cluster.server_urls[0]
    label = '{endpoint="health.healthz",method="GET",status="200"}'
    before = _metric(a, "siaga_http_requests_total", label)
    with ThreadPoolExecutor(4) as pool:  # concurrent, so both workers answer some
        statuses = list(pool.map(lambda _: requests.get(a + "/healthz", timeout=30).status_code, range(20)))
    assert statuses == [200] * 20
    assert _metric(a, "siaga_http_requests_total", label) == before + 20
    logged = cluster.log(1).read_text().count('"endpoint":"health.healthz"')
    assert _metric(a, "siaga_http_requests_total", label) == logged  # the sum over workers = the log lines

    capacity = _metric(a, "siaga_db_pool_capacity")
    assert capacity > 0
    victim = cluster.worker_pids(1)[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = cluster.worker_pids(1)
        if victim not in pids and len(pids) == 2:
            break
        time.sleep(0.2)
    for _ in range(300):  # the new worker's app is up when it answers
        if _metric(a, "siaga_db_pool_capacity") >= capacity:
            break
        time.sleep(0.2)
    # gunicorn.conf.py's child_exit marked the dead worker: its pool is no longer summed (else 1.5 x)
    assert _metric(a, "siaga_db_pool_capacity") == capacity


@live
def test_a_server_stopped_mid_run_loses_nothing_acknowledged(cluster):
    """Server 1 gets SIGTERM at 3 s and is started again; then server 2 is killed -9 (master and workers).
    Clients post through nginx with idempotency keys and retry like the phones' queue."""
    events = []

    def stop_gracefully(_outage):
        cluster.stop_server(1)
        events.append(("term 1", time.monotonic()))
        return "SIGTERM server 1"

    def restart(_outage):
        cluster.start_server(1)
        events.append(("start 1", time.monotonic()))
        time.sleep(2)  # nginx's old workers (server 1 still out in their configuration) finish what they hold
        return "server 1 started again"

    def kill(_outage):
        cluster.stop_server(2, kill=True)
        events.append(("kill 2", time.monotonic()))
        return "kill -9 server 2"

    result = run_phase("cluster", cluster, cluster.demo, CLIENTS, SECONDS,
                       faults=[(3, stop_gracefully), (5, restart), (SECONDS - 6, kill)])
    print(result.report())
    stats = result.stats
    assert [name for name, _ in events] == ["term 1", "start 1", "kill 2"], result.report()
    assert len(stats.acked) > 20, result.report()  # the clients really posted, before and after the faults
    assert not result.lost and not result.duplicated and not stats.abandoned, result.report()
    assert set(result.stored) == set(stats.acked), result.report()
    assert not stats.rejected, result.report()
    # nginx answers 502 for a request in flight on the killed server (the client retries it); the app
    # itself never answers 5xx here
    assert {status for _, status, _ in stats.five_xx} <= {502, 503, 504}, result.report()
    killed_at = events[2][1]
    assert all(at >= killed_at - 1 for at, _, _ in stats.five_xx), result.report()
    assert requests.get(cluster.url + "/healthz", timeout=30).status_code == 200  # server 1 carries on


def test_with_redis_down_the_api_and_logins_go_on(app, database_url):
    """Redis (rate limits, login throttle) unreachable: no 500s. The API limiter counts in each worker's
    memory meanwhile (api/ratelimit_storage.use_as_fallback); the login throttle lets logins through."""
    from siaga import create_app
    from tests.test_auth import csrf_token

    # (the suite's `app` fixture: the database is migrated and SIAGA_ENV is "testing")
    redisless = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0",
                            "API_RATE_LIMIT": "3 per minute"})
    client = redisless.test_client()
    statuses = [client.get("/api/v1/tps?limit=1").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]  # limited, in memory, while Redis is away
    response = client.post("/login", data={"username": f"tamu-{uuid.uuid4().hex[:8]}", "password": "salah",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 400  # refused for the password, not a 500 for the throttle
