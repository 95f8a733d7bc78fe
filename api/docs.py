"""`/api/docs`: Swagger UI from vendored files (api/static/vendor/swagger-ui), under the app's CSP."""
from __future__ import annotations

import re

from flask import Blueprint, Flask, render_template

bp = Blueprint("api_docs", __name__, static_folder="static", static_url_path="/api/static",
               template_folder="templates")


@bp.get("/api/docs")
def docs():
    return render_template("api/docs.html")


SESSION_NOTE = ("A browser session (logged-in user) may call reads too, and sees only the rows that user "
                "sees on the pages.")


def openapi_path(rule: str) -> str:
    """/api/v1/tps/<int(max=2147483647):tps_id> -> /api/v1/tps/{tps_id}"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def document_access(app: Flask, paths: dict) -> None:
    """Give every API operation its operationId (the view's name) and the scope it requires
    (`api.auth.requires_scope` sets `required_scope` on the view): as `x-required-scope`, as a line in its
    description, and a bearer security requirement (OpenAPI 3.0 gives http schemes no scope list)."""
    for rule in app.url_map.iter_rules():
        path = openapi_path(rule.rule)
        if path not in paths:
            continue
        scope = getattr(app.view_functions[rule.endpoint], "required_scope", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = paths[path].get(method.lower())
            if operation is None:
                continue
            operation["operationId"] = rule.endpoint.rsplit(".", 1)[-1]
            if scope is None:
                continue
            operation["x-required-scope"] = scope
            operation["security"] = [{"bearerAuth": []}]
            line = f"Requires the `{scope}` scope."
            if scope.startswith("read:"):
                line += " " + SESSION_NOTE
            else:
                line += " Browser sessions may not write: use a token."
            description = operation.get("description", "").strip()
            operation["description"] = f"{description}\n\n{line}" if description else line


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.after_request
    def _bearer_challenge(response):
        from flask import request

        if response.status_code == 401 and request.path.startswith("/api/"):
            response.headers.setdefault("WWW-Authenticate", 'Bearer realm="siaga"')
        return response
