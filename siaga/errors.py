"""One error handler: JSON for API clients, a short HTML page for browsers.

Domain errors from the service layer become 4xx here, whoever called the service.
"""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from logistics.errors import DomainError


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

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_response(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description)
