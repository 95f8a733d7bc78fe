"""The partner JSON API (`/api/v1/`), its OpenAPI document (`/api/openapi.json`) and docs (`/api/docs`)."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, request
from flask_compress import Compress
from flask_limiter import Limiter
from flask_smorest import Api

from api import ratelimit_storage  # noqa: F401 - registers siaga-memory://
from api.auth import rate_limit_key
from api.body_guard import check_json_body
from api.errors import ErrorSchema
from logistics.events import EventKind
from logistics.rules.tapped import MAX_AGE, MAX_SKEW
from logistics.services.api_tokens import SCOPES
from siaga.extensions import csrf

API_VERSION = "1.0.0"
DEFAULT_RATE_LIMIT = "600 per minute"


class SiagaApi(Api):
    """flask-smorest with the app's one error shape: siaga/errors.py renders every HTTP error."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass  # keep siaga/errors.py's handler, which renders {"error": {...}} for /api/


def _description(rate_limit: str) -> str:
    text = (Path(__file__).parent / "description.md").read_text(encoding="utf-8")
    table = "\n".join(f"- `{name}`: {what}" for name, what in SCOPES.items())
    return (text.replace("SCOPES_TABLE", table).replace("RATE_LIMIT", rate_limit)
            .replace("TAPPED_MAX_SKEW", f"{int(MAX_SKEW.total_seconds() // 60)} minutes")
            .replace("TAPPED_MAX_AGE", f"{int(MAX_AGE.total_seconds() // 3600)} hours")
            .replace("EVENT_KINDS", ", ".join(f"`{kind.value}`" for kind in EventKind)))


COMPRESS_MIN_BYTES = 2048  # smaller answers gain less than the bytes and time gzip costs


def _compress_and_label(app: Flask) -> None:
    """API answers: gzip when asked and worth it (Flask-Compress; the TPS list is ~160 KB as JSON), and the
    language of their messages (Accept-Language, siaga/i18n.py) said and varied on. Pages are left to the
    proxy. Flask-Compress suffixes a strong ETag with `:gzip` and answers If-None-Match against that, so
    conditional reads (304) work compressed and not."""
    app.config.setdefault("COMPRESS_REGISTER", False)  # only for /api/ (below)
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", COMPRESS_MIN_BYTES)
    app.config.setdefault("COMPRESS_MIMETYPES", ["application/json", "application/geo+json"])
    compress = Compress(app)

    @app.after_request
    def _api_response(response):
        if not request.path.startswith("/api/"):
            return response
        from siaga.i18n import current_language

        response.headers["Content-Language"] = current_language()
        response.vary.add("Accept-Language")
        return compress.after_request(response)


def register(app: Flask) -> None:
    from api import docs
    from api.cli import register_cli
    from api.resources import BLUEPRINTS

    rate_limit = app.config.get("API_RATE_LIMIT") or os.environ.get("API_RATE_LIMIT") or DEFAULT_RATE_LIMIT
    app.config.update({
        "API_TITLE": "Siaga TPS API", "API_VERSION": API_VERSION, "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api", "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {"description": _description(rate_limit)},
            "security": [{"bearerAuth": []}],
            "servers": [{"url": "/"}],
        },
    })
    app.config.setdefault("RATELIMIT_STORAGE_URI", os.environ.get("RATELIMIT_STORAGE_URI", "siaga-memory://"))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down (several servers share it) must not stop the API: each worker counts in its own memory
    # meanwhile (limits per worker, not per cluster: ratelimit_storage.use_as_fallback) and goes back to
    # Redis when it answers again; an error the fallback does not cover lets the request through. The
    # login throttle fails open too (siaga.login_throttle). docs/DEPLOY.md, "Redis down".
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    api = SiagaApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                       "description": "A token from `flask create-token`."})
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    docs.register_components(api.spec)
    docs.document_access(app, api.spec._paths)  # apispec keeps its paths there; no public accessor
    limiter = Limiter(rate_limit_key, app=app, default_limits=[rate_limit])
    # Only the API is limited. A request filter, not `default_limits_exempt_when`: the limiter then skips
    # every other request before resolving its limits, which was 7 % of a live page's 304 poll.
    limiter.request_filter(lambda: not request.path.startswith("/api/v1/"))
    ratelimit_storage.use_as_fallback(limiter, app.config["RATELIMIT_STORAGE_URI"])
    app.before_request(check_json_body)
    _compress_and_label(app)
    app.extensions["siaga_api"] = api
    app.extensions["siaga_api_limiter"] = limiter
    docs.register(app)
    register_cli(app)
