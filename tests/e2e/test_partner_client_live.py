"""examples/partner_client.py against the live server, with tokens made by the CLI: the second run
fetches only the incident added in between, and never a patient's name (no read:health-pii)."""
import json
import os
import subprocess
import sys
import urllib.request

from tests.e2e.conftest import ROOT


def cli_env(e2e_database_url):
    return {**os.environ, "SIAGA_ENV": "testing", "SECRET_KEY": "e2e-secret", "DATABASE_URL": e2e_database_url}


def create_token(env, *args) -> str:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "create-token", *args],
                            cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return result.stdout.strip().splitlines()[-1]


def run_client(base_url, token, state) -> list[dict]:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "partner_client.py"), "--url", base_url,
                             "--token", token, "--state", str(state), "--limit", "2"],
                            check=True, capture_output=True, text=True, timeout=60)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def report(base_url, token, name) -> dict:
    body = json.dumps({"patient_kind": "voter", "complaint": "pingsan", "triage": "kuning",
                       "lat": -2.13, "lon": 106.11, "patient_name": name}).encode()
    request = urllib.request.Request(base_url + "/api/v1/incidents", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.load(response)


def test_partner_client_syncs_incrementally(live_server, e2e_database_url, tmp_path):
    env = cli_env(e2e_database_url)
    reader = create_token(env, "--agency", "Bawaslu", "--scopes", "read:incidents", "--name", "client-test")
    writer = create_token(env, "--agency", "TNI-Polri", "--scopes", "write:incidents")
    for n in range(3):  # enough for several pages of 2
        report(live_server, writer, f"Pasien Awal {n}")
    state = tmp_path / "state.json"

    first = run_client(live_server, reader, state)
    assert len(first) >= 3 and len({i["id"] for i in first}) == len(first)
    assert json.loads(state.read_text())["cursor"]

    added = report(live_server, writer, "Pasien Rahasia")
    second = run_client(live_server, reader, state)
    assert [i["id"] for i in second] == [added["id"]]
    assert "patient_name" not in second[0] and "Pasien" not in json.dumps(first + second)
    assert run_client(live_server, reader, state) == []


def generated_client(base_url: str, tmp_path):
    """The partner's Python client as CI makes it: openapi-python-client (pinned in requirements-dev.txt) run on
    the live server's /api/openapi.json, imported from where it was written."""
    import importlib

    with urllib.request.urlopen(base_url + "/api/openapi.json", timeout=10) as response:
        (tmp_path / "openapi.json").write_bytes(response.read())
    bin_dir = os.path.dirname(sys.executable)
    subprocess.run([os.path.join(bin_dir, "openapi-python-client"), "generate", "--path", str(tmp_path / "openapi.json"),
                    "--meta", "none", "--output-path", str(tmp_path / "siaga_partner_client")], cwd=tmp_path,
                   env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")},
                   check=True, capture_output=True, text=True, timeout=300)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module("siaga_partner_client")
    finally:
        sys.path.remove(str(tmp_path))


def test_the_generated_client_reads_conditionally_geojson_and_pages_and_writes_once(live_server, e2e_database_url,
                                                                                      tmp_path):
    from http import HTTPStatus

    client_package = generated_client(live_server, tmp_path)
    from siaga_partner_client.api.api_incidents import list_incidents, post_incident
    from siaga_partner_client.api.api_tps import list_tps
    from siaga_partner_client.models import (FeatureCollection, Incident, IncidentPage, IncidentReportBody,
                                             ListTpsFormat, TpsPage)

    env = cli_env(e2e_database_url)
    reader = client_package.AuthenticatedClient(base_url=live_server, token=create_token(
        env, "--agency", "Bawaslu", "--scopes", "read:incidents,read:tps", "--name", "generated-client"))
    writer = client_package.AuthenticatedClient(base_url=live_server, token=create_token(
        env, "--agency", "Dinkes", "--scopes", "write:incidents"))

    # A conditional read: 304, no body, nothing to parse.
    first = list_tps.sync_detailed(client=reader, limit=50)
    assert first.status_code == HTTPStatus.OK and isinstance(first.parsed, TpsPage) and first.parsed.count == 50
    again = list_tps.sync_detailed(client=reader, limit=50, if_none_match=first.headers["ETag"])
    assert again.status_code == HTTPStatus.NOT_MODIFIED and again.parsed is None

    # A GeoJSON list.
    geo = list_tps.sync_detailed(client=reader, limit=5, format_=ListTpsFormat.GEOJSON)
    assert geo.headers["Content-Type"].startswith("application/geo+json")
    assert isinstance(geo.parsed, FeatureCollection) and len(geo.parsed.features) == 5
    assert geo.parsed.features[0].geometry["type"] == "Point"

    # An idempotent write: the same key twice is one incident, 201 with its Location.
    body = IncidentReportBody.from_dict({"patient_kind": "voter", "complaint": "pusing", "triage": "hijau",
                                         "lat": -2.13, "lon": 106.11})
    made = post_incident.sync_detailed(client=writer, body=body, idempotency_key="generated-client-1")
    replay = post_incident.sync_detailed(client=writer, body=body, idempotency_key="generated-client-1")
    assert made.status_code == HTTPStatus.CREATED and isinstance(made.parsed, Incident)
    assert made.headers["Location"] == f"/api/v1/incidents/{made.parsed.id}"
    assert replay.parsed.id == made.parsed.id and replay.headers["Idempotent-Replayed"] == "true"

    # A paginated sync: pages of 2 to the end, then only what changed since.
    seen, cursor = [], None
    while True:
        page = list_incidents.sync(client=reader, limit=2, cursor=cursor) if cursor else \
            list_incidents.sync(client=reader, limit=2)
        assert isinstance(page, IncidentPage)
        seen += [item.id for item in page.items]
        sync_cursor = page.sync_cursor
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert made.parsed.id in seen and len(seen) == len(set(seen))
    later = post_incident.sync(client=writer, body=body, idempotency_key="generated-client-2")
    since = list_incidents.sync(client=reader, cursor=sync_cursor)
    assert [item.id for item in since.items] == [later.id]

    # An error is parsed as the one error shape.
    refused = list_tps.sync_detailed(client=writer)
    assert refused.status_code == HTTPStatus.FORBIDDEN and refused.parsed.error.code == "forbidden"
