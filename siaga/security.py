"""CSRF protection for every form, and security headers on every response.

Pages get a strict Content-Security-Policy: scripts and styles only from this app, plus inline
scripts carrying the per-request nonce (`{{ csp_nonce() }}` in templates).
"""
from __future__ import annotations

import secrets

from flask import Flask, g

from siaga.extensions import csrf


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str, img_sources: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        f"img-src 'self' data: {img_sources}".strip(),
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def register(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 30 * 3600)  # a form kept offline all day still posts
    # Extra image sources (map tiles) for the CSP, space separated.
    app.config.setdefault("CSP_IMG_SOURCES", "")
    csrf.init_app(app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault(
                "Content-Security-Policy", content_security_policy(csp_nonce(), app.config["CSP_IMG_SOURCES"])
            )
        return response
