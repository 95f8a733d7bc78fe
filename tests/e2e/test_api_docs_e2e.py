"""/api/docs renders Swagger UI from the app's own files under the strict CSP."""
import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_docs_page_renders_offline_under_csp(desktop, live_server):
    problems = []
    desktop.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    desktop.on("request", lambda req: problems.append(req.url) if not req.url.startswith(live_server)
               and not req.url.startswith("data:") else None)
    response = desktop.goto(live_server + "/api/docs")
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    desktop.wait_for_selector(".swagger-ui .info .title")
    assert "Siaga TPS API" in desktop.inner_text(".swagger-ui .info .title")
    desktop.wait_for_selector('[data-path="/api/v1/incidents"]')
    screenshot(desktop, "api-docs")
    assert problems == []
