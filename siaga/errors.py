"""One error handler: JSON for API clients, a short HTML page for browsers.

Domain errors from the service layer become 4xx here, whoever called the service.
"""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from logistics.errors import DomainError
from siaga.i18n import _, register_english

register_english({
    "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman, lalu kirim lagi.":
        "The form has expired or is not valid. Reload the page and send it again.",
    "Anda tidak berwenang membuka halaman ini.": "You are not allowed to open this page.",
    "Silakan masuk terlebih dahulu.": "Please log in first.",
    "Halaman tidak ditemukan.": "Page not found.",
    "Kiriman terlalu besar (paling banyak 1 MB).": "The submission is too large (1 MB at most).",
})

# Bahasa Indonesia messages for the statuses people meet on the pages.
FRIENDLY_MESSAGES = {
    401: "Silakan masuk terlebih dahulu.",
    403: "Anda tidak berwenang membuka halaman ini.",
    404: "Halaman tidak ditemukan.",
    413: "Kiriman terlalu besar (paling banyak 1 MB).",
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

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return error_response(400, "csrf_failed", _("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman, lalu kirim lagi."))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        message = _(FRIENDLY_MESSAGES[status]) if status in FRIENDLY_MESSAGES else exc.description
        return error_response(status, (exc.name or "error").lower().replace(" ", "_"), message)
