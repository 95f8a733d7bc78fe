"""CSRF protection for every form, and security headers on every response.

Pages get a strict Content-Security-Policy: scripts and styles only from this app, plus inline
scripts carrying the per-request nonce (`{{ csp_nonce() }}` in templates). Nothing that may carry
personal data is kept by a browser or proxy cache: every page, and every response to a logged-in user
or an API caller, is `Cache-Control: no-store` (static files keep their caching). In production,
HSTS tells browsers to use https only, for a year.
"""
from __future__ import annotations

import os
import secrets

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

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


HSTS = "max-age=31536000; includeSubDomains"  # one year (OWASP ASVS 14.4.5)


def _is_static(endpoint: str | None) -> bool:
    """Files that are the same for everyone: the app's and blueprints' static folders, the service worker."""
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static")
                                     or endpoint == "field.service_worker")


def may_carry_personal_data(response) -> bool:
    # Static files, and the few views that mark their answer as holding no personal data (the map's
    # administrative boundaries: `response.no_personal_data = True`), keep their own caching.
    if _is_static(request.endpoint) or getattr(response, "no_personal_data", False):
        return False
    return (response.mimetype == "text/html" or g.get("user") is not None
            or "Authorization" in request.headers)


# Headers by which a reverse proxy (or a client pretending to be one) names another client than the peer.
# ProxyFix (below) reads only X-Forwarded-*; a check that must know whether a request came through a proxy
# (/metrics: loopback only) refuses when any of these is present, whichever a proxy uses.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP", "X-Client-IP",
                 "True-Client-IP", "CF-Connecting-IP", "Fastly-Client-IP", "X-Cluster-Client-IP", "Client-IP")


def through_a_proxy() -> bool:
    """Whether the request names a client other than its peer (it came through a proxy, or claims to)."""
    return any(name in request.headers for name in PROXY_HEADERS)


def connection_headers(app: Flask, response) -> None:
    """What every response carries, a body-less 304 too (a live page's idle check must stay under 1 KB on a
    phone, siaga/live.py: nothing to sniff, store or refer from): HSTS in production, which is about the
    connection. The only security header of a 304, whether Flask answered it or the early check did."""
    if app.config.get("SIAGA_ENV") == "production":
        response.headers["Strict-Transport-Security"] = HSTS


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies (TLS terminator, load balancer), take the client's address and
    scheme from their X-Forwarded-For/-Proto: per-address login throttling and API limits count clients,
    not the proxy. Never set it without such a proxy: clients could then choose their address."""
    configured = app.config.get("TRUSTED_PROXIES", os.environ.get("TRUSTED_PROXIES", "0"))
    try:
        hops = int(configured or 0)
    except ValueError:
        from siaga.config import ConfigError

        raise ConfigError(f"TRUSTED_PROXIES must be a number of proxies (0, 1, 2...); got {configured!r}.") from None
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 30 * 3600)  # a form kept offline all day still posts
    # Extra image sources (map tiles) for the CSP, space separated.
    app.config.setdefault("CSP_IMG_SOURCES", "")
    csrf.init_app(app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    _trust_proxies(app)

    @app.after_request
    def _headers(response):
        connection_headers(app, response)
        if response.status_code == 304:
            return response
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if may_carry_personal_data(response):
            response.headers["Cache-Control"] = "no-store"  # replaces a view's "private, no-cache" too
        if response.mimetype == "text/html":
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault(
                "Content-Security-Policy", content_security_policy(csp_nonce(), app.config["CSP_IMG_SOURCES"])
            )
        return response
