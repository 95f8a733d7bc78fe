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


_STRING = {"type": "string"}
# Every header the API really sends or reads, declared once as a component (names as sent).
HEADERS = {
    "ETag": "The list page's validator: send it back in `If-None-Match` (ends in `:gzip` when compressed).",
    "Link": '`<url>; rel="next"` while there is a next page.',
    "X-Sync-Cursor": "The cursor to ask next time for only what changed since (also `sync_cursor`).",
    "Location": "The URL of the record just made.",
    "Idempotent-Replayed": "`true` when this is the stored answer to an earlier request with the same key.",
    "X-RateLimit-Limit": "Requests allowed in the current window.",
    "X-RateLimit-Remaining": "Requests left in the current window.",
    "X-RateLimit-Reset": "When the window resets (Unix seconds).",
    "Retry-After": "Seconds to wait before trying again.",
    "Content-Language": "The language of the messages (`id` or `en`, from `Accept-Language` or `?lang=`).",
}
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
PARAMETERS = {
    "IfNoneMatch": {"in": "header", "name": "If-None-Match", "required": False, "schema": _STRING,
                    "description": "The `ETag` of the page you have: `304 Not Modified` (no body) when unchanged."},
    "IdempotencyKey": {"in": "header", "name": "Idempotency-Key", "required": False,
                       "schema": {"type": "string", "minLength": 8, "maxLength": 100, "pattern": "^[A-Za-z0-9._:-]+$"},
                       "description": "Send the same key again after a failure: the write happens once."},
    "TappedAt": {"in": "header", "name": "Tapped-At", "required": False, "schema": {"type": "string", "example": "2025-08-27T07:02:00+07:00"},
                 "description": "When a person tapped it (ISO 8601 date-time with a zone), for a step queued "
                                "offline."},
    "AcceptLanguage": {"in": "header", "name": "Accept-Language", "required": False, "schema": _STRING,
                       "description": "`en` for English messages (default Bahasa Indonesia)."},
}
ERRORS = {
    400: ("BAD_REQUEST", "Bad request: malformed JSON or idempotency key, or a query parameter or format the "
                         "operation does not have (`bad_parameter`, named in `fields`)."),
    401: ("UNAUTHORIZED", "No token, or a token unknown, revoked or expired."),
    403: ("FORBIDDEN", "The token lacks the scope, or the record is outside the caller's area."),
    404: ("NOT_FOUND", "No such record."),
    409: ("CONFLICT", "The step is not allowed from the record's state, or the idempotency key was used for another "
                      "request (or its first copy is still running: wait `Retry-After`)."),
    413: ("PAYLOAD_TOO_LARGE", "The body is over the limit."),
    429: ("TOO_MANY_REQUESTS", "Over the rate limit: wait `Retry-After`."),
    503: ("SERVICE_UNAVAILABLE", "The database cannot be reached: nothing was stored; send it again (same key)."),
}


def register_components(spec) -> None:
    """The headers, parameters and error answers `document_http` refers to."""
    for name, description in HEADERS.items():
        spec.components.header(name, {"description": description,
                                      "schema": {"type": "integer"} if name.startswith("X-RateLimit") or
                                      name == "Retry-After" else _STRING})
    for name, parameter in PARAMETERS.items():
        spec.components.parameter(name, parameter["in"], {k: v for k, v in parameter.items() if k != "in"})
    for status, (name, description) in ERRORS.items():
        headers = {"Content-Language": _ref("headers", "Content-Language")}
        if status in (409, 429, 503):
            headers["Retry-After"] = _ref("headers", "Retry-After")
        if status == 401:
            headers["WWW-Authenticate"] = {"description": '`Bearer realm="siaga"`', "schema": _STRING}
        spec.components.response(name, {"description": description, "headers": headers,
                                        "content": {"application/json": {"schema": _ref("schemas", "Error")}}})
    spec.components.response("NOT_MODIFIED", {"description": "Not Modified: the page is what you have (no body).",
                                              "headers": {"ETag": _ref("headers", "ETag")}})


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _is_list(operation: dict) -> bool:
    """A paginated list (its 200 is a `…Page`, made by api.resources.common.page_schema): ETag, Link, 304."""
    schema = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
    return any(option.get("$ref", "").endswith("Page") for option in [schema, *schema.get("oneOf", [])])


def document_http(path: str, method: str, operation: dict) -> None:
    """Declare on one operation every status, header and parameter the API really uses, so a client generated
    from the document handles each answer (tests/e2e/test_partner_client_live.py)."""
    responses = operation.setdefault("responses", {})
    parameters = operation.setdefault("parameters", [])
    parameters.append(_ref("parameters", "AcceptLanguage"))
    statuses = [400, 401, 403, 429, 503] + ([404] if "{" in path else [])
    if method == "post":
        statuses += [409, 413]
        parameters += [_ref("parameters", "IdempotencyKey"), _ref("parameters", "TappedAt")]
    for status in statuses:
        responses.setdefault(str(status), _ref("responses", ERRORS[status][0]))
    listing = method == "get" and _is_list(operation)
    if listing:
        parameters.append(_ref("parameters", "IfNoneMatch"))
        responses["304"] = _ref("responses", "NOT_MODIFIED")
    for status, response in responses.items():
        if not status.startswith("2") or "$ref" in response:
            continue
        headers = response.setdefault("headers", {})
        for name in RATE_HEADERS + ("Content-Language",):
            headers[name] = _ref("headers", name)
        if listing:
            for name in ("ETag", "Link", "X-Sync-Cursor"):
                headers[name] = _ref("headers", name)
        if method == "post":
            headers["Idempotent-Replayed"] = _ref("headers", "Idempotent-Replayed")
        if status == "201":
            headers["Location"] = _ref("headers", "Location")


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
            document_http(path, method.lower(), operation)
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
