"""`/api/docs`: Swagger UI from vendored files (api/static/vendor/swagger-ui), under the app's CSP."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template

bp = Blueprint("api_docs", __name__, static_folder="static", static_url_path="/api/static",
               template_folder="templates")


@bp.get("/api/docs")
def docs():
    return render_template("api/docs.html")


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.after_request
    def _bearer_challenge(response):
        from flask import request

        if response.status_code == 401 and request.path.startswith("/api/"):
            response.headers.setdefault("WWW-Authenticate", 'Bearer realm="siaga"')
        return response
