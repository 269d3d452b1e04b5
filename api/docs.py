"""``GET /docs/``: Swagger UI over ``/openapi.json``, served from the ``flask-swagger-ui``
package's copy of the Swagger UI distribution (no CDN: the page works offline).

"Try it out" sends requests to the server the page came from (the spec names no
``servers``); the ``X-API-Key`` scheme is under "Authorize". Swagger UI's default
validator badge would call validator.swagger.io, so it is turned off. ``/docs`` redirects
to ``/docs/``.
"""

from __future__ import annotations

from flask import Response
from flask_swagger_ui import get_swaggerui_blueprint

bp = get_swaggerui_blueprint(
    "/docs",
    "/openapi.json",
    config={
        "app_name": "exifq API",
        "validatorUrl": None,  # no badge fetched from validator.swagger.io
        "layout": "BaseLayout",  # no top bar inviting other spec URLs
        "tryItOutEnabled": True,
        "persistAuthorization": True,
        "displayRequestDuration": True,
    },
    blueprint_name="docs",
)
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",  # the package's page configures Swagger UI inline
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)


@bp.after_request
def _offline_only(response: Response) -> Response:
    """The browser may reach only this server from the docs page."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
