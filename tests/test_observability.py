"""One JSON log line per request, and /metrics: its content, its protection, and gunicorn's multiprocess mode."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import select

from logistics.models import Tps, TpsStatus, User
from logistics.services.unit_of_work import UnitOfWork
from logistics.services.common import audit
from logistics.services.incidents import report_incident
from logistics.services.tps_status import advance_tps_status
from tests.test_auth import login
from tests.factories import save

ROOT = Path(__file__).resolve().parents[1]


def test_one_json_line_per_request_with_the_incoming_request_id(client, access_lines):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-0123456789abcdef"})
    assert response.headers["X-Request-ID"] == "lb-0123456789abcdef"
    assert len(access_lines) == 1
    line = access_lines[0]
    assert line["request_id"] == "lb-0123456789abcdef"
    assert (line["role"], line["endpoint"], line["route"], line["method"], line["status"]) == \
        ("anonymous", "health.healthz", "/healthz", "GET", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0


def test_the_route_is_the_rule_not_the_path_and_the_role_is_the_users(client, session, access_lines):
    login(client, "koordinator")
    tps_id = session.scalar(select(Tps.id).order_by(Tps.id.desc()).limit(1))
    access_lines.clear()
    response = client.get(f"/tps/{tps_id}", headers={"X-Request-ID": "bad id <script>"})
    line = access_lines[-1]
    assert line["role"] == "coordinator" and line["status"] == response.status_code == 200
    assert line["endpoint"] == "maps.tps_record" and line["route"].startswith("/tps/<int")
    assert str(tps_id) not in json.dumps(line)
    assert len(line["request_id"]) == 32 and line["request_id"] == response.headers["X-Request-ID"]
    client.get("/tidak-ada")
    assert (access_lines[-1]["endpoint"], access_lines[-1]["route"], access_lines[-1]["status"]) == \
        ("unmatched", None, 404)


def test_metrics_count_requests_latency_posts_and_state(client, session, actor_for):
    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = value("siaga_http_requests_total", endpoint="health.healthz", method="GET", status="200")
    client.get("/healthz")
    assert value("siaga_http_requests_total", endpoint="health.healthz", method="GET", status="200") == before + 1
    assert value("siaga_http_request_duration_seconds_count", endpoint="health.healthz") >= 1

    petugas = actor_for("petugas")
    tps = session.get(Tps, petugas.tps_id)
    posts = value("siaga_posts_total", kind="tps", action="tps.open")
    advance_tps_status(session, petugas, tps.id, TpsStatus.OPEN)
    assert value("siaga_posts_total", kind="tps", action="tps.open") == posts + 1
    report_incident(session, petugas, patient_kind="voter", complaint="Pingsan", triage="merah",
                    tps_id=tps.id, patient_name="Pasien Rahasia Sekali")

    body = client.get("/metrics").get_data(as_text=True)
    assert 'siaga_http_requests_total{endpoint="health.healthz",method="GET",status="200"}' in body
    assert 'siaga_http_request_duration_seconds_bucket{endpoint="health.healthz",le="0.1"}' in body
    assert "siaga_db_connections_checked_out" in body and "siaga_db_pool_capacity" in body
    assert 'siaga_posts_total{action="incident.reported",kind="incident"}' in body
    assert 'siaga_open_incidents{triage="merah"}' in body
    assert "siaga_open_alerts{" in body
    for personal in ["Pasien Rahasia", tps.address]:
        assert personal not in body
    # Usernames such as "admin" are parts of endpoint names (admin_setup.cancel): never a label value.
    for username in session.scalars(select(User.username)):
        assert f'="{username}"' not in body


def test_a_rolled_back_post_is_not_counted(session, actor_for):
    petugas = actor_for("petugas")
    tps = session.get(Tps, petugas.tps_id)
    labels = {"kind": "tps", "action": "tps.rolled_back"}
    with UnitOfWork(session):  # left without commit(): rolled back
        audit(session, petugas, "tps.rolled_back", tps, None)
    save(session)
    assert REGISTRY.get_sample_value("siaga_posts_total", labels) is None
    with UnitOfWork(session) as uow:
        audit(session, petugas, "tps.rolled_back", tps, None)
        uow.commit()
    assert REGISTRY.get_sample_value("siaga_posts_total", labels) == 1


def test_metrics_only_from_loopback_and_not_through_a_proxy(client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    # Whatever header a proxy names the client by (issue 24, finding 9), not only X-Forwarded-For.
    for header in ("Forwarded", "X-Real-IP", "True-Client-IP"):
        assert client.get("/metrics", headers={header: "for=203.0.113.9"}).status_code == 403, header


def test_metrics_token_when_set(app, client):
    app.config["METRICS_TOKEN"] = "rahasia-scrape-token"
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer salah"}).status_code == 401
        ok = client.get("/metrics", headers={"Authorization": "Bearer rahasia-scrape-token"},
                        environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert ok.status_code == 200 and b"siaga_http_requests_total" in ok.data
    finally:
        app.config.pop("METRICS_TOKEN")


def test_multiprocess_mode_sums_the_workers(tmp_path, database_url):
    """Two processes (two gunicorn workers) write to PROMETHEUS_MULTIPROC_DIR; either answers with the sum."""
    script = (
        "import sys; sys.path.insert(0, %r)\n"
        "from siaga import create_app\n"
        "app = create_app({'SQLALCHEMY_DATABASE_URI': %r})\n"
        "c = app.test_client()\n"
        "for _ in range(3): c.get('/healthz')\n"
        "if sys.argv[1] == 'scrape': print(c.get('/metrics').get_data(as_text=True))\n"
    ) % (str(ROOT), database_url)
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path), SIAGA_ENV="testing")
    subprocess.run([sys.executable, "-c", script, "count"], env=env, check=True, capture_output=True, timeout=120)
    out = subprocess.run([sys.executable, "-c", script, "scrape"], env=env, check=True, capture_output=True,
                         text=True, timeout=120).stdout
    assert list(tmp_path.glob("*.db"))
    assert 'siaga_http_requests_total{endpoint="health.healthz",method="GET",status="200"} 6.0' in out


def test_a_request_refused_before_the_view_is_logged_too(client, access_lines):
    response = client.post("/lapangan/kejadian", data={"complaint": "x"})  # no CSRF token, no login
    assert response.status_code in (302, 400, 401, 403)
    assert access_lines[-1]["status"] == response.status_code
    assert access_lines[-1]["endpoint"] == "field.incident_report"


def test_metrics_count_what_they_can_when_an_alert_source_fails(client, session, monkeypatch, caplog):
    """A source that raises (here: SQL that cannot run) is logged and counted as failed; /metrics still
    answers with the other sources' alerts."""
    from sqlalchemy import literal_column

    from logistics.queries import alerts

    alerts.sources()  # registered

    def broken(session, moment, scope):
        return select(*(literal_column("no_such_column").label(c) for c in ("kind", "severity", "since", "kecamatan_id")))

    monkeypatch.setattr(alerts, "_SOURCES", [alerts.AlertSource("broken", broken, None, lambda _settings: {}), *alerts._SOURCES])
    failed = REGISTRY.get_sample_value("siaga_alert_source_failures_total", {"source": "broken"}) or 0.0
    with caplog.at_level("ERROR", logger="siaga.metrics"):
        response = client.get("/metrics")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'siaga_open_alerts{kind="tps_not_open",severity="high"}' in body
    assert REGISTRY.get_sample_value("siaga_alert_source_failures_total", {"source": "broken"}) == failed + 1
    assert any("broken" in r.getMessage() for r in caplog.records)


def test_metrics_give_the_age_of_the_workers_heartbeat(client, session):
    """What /healthz judges "worker down" by (over 30 s), for an alert rule (deploy/prometheus)."""
    import re

    from logistics.models import WorkerHeartbeat
    from siaga.worker import heartbeat

    def age() -> float:
        body = client.get("/metrics").get_data(as_text=True)
        return float(re.search(r"^siaga_worker_heartbeat_age_seconds (\S+)$", body, re.MULTILINE).group(1))

    session.query(WorkerHeartbeat).delete()
    session.commit()
    assert age() == float("inf")  # none ever
    heartbeat.beat(session)
    assert 0 <= age() < 30
