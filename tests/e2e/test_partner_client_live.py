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
