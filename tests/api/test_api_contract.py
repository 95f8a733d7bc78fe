"""The API contract: every operation says who may call it, and the document is valid OpenAPI
(openapi-spec-validator always; Spectral's `spectral:oas` ruleset with no error)."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from api.docs import openapi_path

ROOT = Path(__file__).resolve().parents[2]
SPECTRAL = ROOT / "tools" / "spectral" / "node_modules" / ".bin" / "spectral"


@pytest.fixture(scope="module")
def spec(app):
    return app.test_client().get("/api/openapi.json").get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_every_operation_names_its_scope_and_id(app, spec):
    ops = list(operations(spec))
    assert len(ops) >= 17
    ids = [op["operationId"] for _p, _m, op in ops]
    assert len(ids) == len(set(ids))
    for path, method, op in ops:
        assert op["security"] == [{"bearerAuth": []}], (method, path)
        assert op["x-required-scope"] and f"`{op['x-required-scope']}`" in op["description"], (method, path)
    # ... and the scope documented is the one the view enforces.
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = spec["paths"][openapi_path(rule.rule)][method.lower()]
            assert op["x-required-scope"] == app.view_functions[rule.endpoint].required_scope, rule.rule


def test_document_is_valid_openapi(spec):
    validate(spec)


def test_spectral_oas_ruleset_finds_no_error(spec, tmp_path):
    if not SPECTRAL.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed, so Spectral cannot be (scripts/test.sh installs it when npm is)")
        pytest.fail("Spectral is missing: run scripts/test.sh, or npm ci --prefix tools/spectral")
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(spec), encoding="utf-8")
    result = subprocess.run(
        [str(SPECTRAL), "lint", "--ruleset", str(SPECTRAL.parents[2] / ".spectral.yaml"), "--fail-severity", "error",
         "--format", "json", str(document)], capture_output=True, text=True, timeout=120)
    findings = json.loads(result.stdout or "[]")
    errors = [f"{'.'.join(map(str, f['path']))}: {f['message']}" for f in findings if f["severity"] == 0]
    assert not errors and result.returncode == 0, errors or result.stderr


def test_every_status_header_and_media_type_the_api_uses_is_declared(spec):
    """What a generated client needs to handle each answer (tests/e2e/test_partner_client_live.py uses one)."""
    def refs(items):
        return {item.get("$ref", "").rsplit("/", 1)[-1] for item in items}

    lists = geo = 0
    for path, method, op in operations(spec):
        responses, params = op["responses"], refs(op.get("parameters", []))
        for status in ("400", "401", "403", "429"):
            assert status in responses, (method, path, status)
        assert "AcceptLanguage" in params
        ok = [r for s, r in responses.items() if s.startswith("2")]
        assert all({"X-RateLimit-Limit", "X-RateLimit-Remaining", "Content-Language"} <= set(r["headers"])
                   for r in ok), (method, path)
        if "{" in path:
            assert "404" in responses
        if method == "post":
            assert {"IdempotencyKey", "TappedAt"} <= params and "409" in responses, path
            assert all("Idempotent-Replayed" in r["headers"] for r in ok)
            if "201" in responses:
                assert "Location" in responses["201"]["headers"]
        if method == "get" and "Page" in json.dumps(responses.get("200")):
            lists += 1
            assert "IfNoneMatch" in params and responses["304"]["$ref"].endswith("NOT_MODIFIED"), path
            assert {"ETag", "Link"} <= set(responses["200"]["headers"])
        if "application/geo+json" in responses.get("200", {}).get("content", {}):
            geo += 1
    assert lists >= 7 and geo == 5  # TPS, incidents, deliveries, kecamatan, kelurahan
    assert set(spec["components"]["responses"]["TOO_MANY_REQUESTS"]["headers"]) >= {"Retry-After"}
