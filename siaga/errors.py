"""One error handler: JSON for API clients, a short HTML page for browsers.

Domain errors from the service layer become 4xx here, whoever called the service.
"""
from __future__ import annotations

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from logistics.errors import DomainError
from siaga.i18n import _, lazy_gettext

DATABASE_RETRY_AFTER = "5"  # seconds; a restarting database or a long lock

# Bahasa Indonesia messages for the statuses people meet on the pages.
FRIENDLY_MESSAGES = {
    401: lazy_gettext("Silakan masuk terlebih dahulu."),
    403: lazy_gettext("Anda tidak berwenang membuka halaman ini."),
    404: lazy_gettext("Halaman tidak ditemukan."),
    429: lazy_gettext("Terlalu banyak permintaan; coba lagi setelah jeda di header Retry-After."),
}


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    if wants_json():
        body = {"error": {"code": code, "message": message, "fields": fields or {}}}
        return jsonify(body), status
    return render_template("error.html", status=status, message=message, fields=fields or {}), status


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        return error_response(exc.http_status, exc.code, exc.message, exc.fields)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(exc):
        # The database is down, restarting, or locked past busy_timeout: nothing was stored (one
        # transaction per submission), so the client may retry the same submission. No driver text.
        from siaga.extensions import db

        app.logger.warning("database unavailable: %s", str(exc).splitlines()[0][:200])
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone; the pool replaces it
            pass
        message = _("Basis data sedang tidak bisa dihubungi; kiriman Anda belum tersimpan. Coba lagi sebentar.")
        if wants_json():
            response = make_response(error_response(503, "database_unavailable", message))
        else:
            # Not the site's layout: it shows who is logged in, which would ask the database again.
            response = make_response(
                f'<!doctype html><html lang="id"><meta charset="utf-8"><title>503</title>'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<h1>503</h1><p class="error">{escape(message)}</p></html>', 503)
        response.headers["Retry-After"] = DATABASE_RETRY_AFTER
        return response

    @app.errorhandler(IntegrityError)
    def _conflict(exc):
        # A constraint refused the change (e.g. a racing step made the row's state another one):
        # nothing was stored; a 409 like the services' own Conflict, never a 500.
        from siaga.extensions import db

        app.logger.info("integrity conflict: %s", str(exc).splitlines()[0][:200])
        db.session.rollback()
        return error_response(409, "conflict", _("Data bertentangan dengan data yang sudah ada; muat ulang lalu coba lagi."))

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return error_response(400, "csrf_failed", _("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman, lalu kirim lagi."))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        message = _(FRIENDLY_MESSAGES[status]) if status in FRIENDLY_MESSAGES else exc.description
        if status == 413:  # the limit of this request (an upload's is larger than a form's: siaga.config)
            limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
            message = _("Kiriman terlalu besar (paling banyak {mb} MB).", mb=round(limit / 1024 / 1024))
        # Validation errors from webargs (the API's parsers) carry per-field messages and headers.
        data = getattr(exc, "data", None) or {}
        fields = None
        if data.get("messages"):
            fields = flatten_messages(data["messages"])
            if status == 422:
                message = _("Permintaan tidak valid; lihat fields.")
            elif status == 400:
                message = _("Isi kiriman bukan JSON yang sah.")
        code = "validation_failed" if status == 422 else (exc.name or "error").lower().replace(" ", "_")
        response = make_response(error_response(status, code, message, fields))
        # The exception's own headers (a 405's Allow, a 401's WWW-Authenticate, ...), except its content type.
        response.headers.update({name: value for name, value in exc.get_headers() if name.lower() != "content-type"})
        response.headers.update(data.get("headers") or {})
        return response


def flatten_messages(messages) -> dict[str, str]:
    """webargs' {location: {field: [messages]}} as the error shape's flat {field: message}."""
    fields: dict[str, str] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            fields[prefix or "_body"] = " ".join(value)
        elif isinstance(value, (list, tuple)):
            for index, inner in enumerate(value):
                walk(f"{prefix}.{index}", inner)
        else:
            fields[prefix or "_body"] = str(value)

    for location, inner in (messages.items() if isinstance(messages, dict) else [("", messages)]):
        # The location level (json, query, ...) is dropped: field names say enough.
        walk("", inner)
    return fields
