"""``GET /``: the web page, a person's way in (pick photos, see what they hold, remove it).

Plain HTML, CSS and ES modules under ``api/web/`` (no build step, nothing
fetched from another host), served at ``/`` and ``/web/<file>`` with explicit
content types (a machine's MIME table may not know ``.js``) and a
Content-Security-Policy that lets the page reach only this server, plus the
OpenStreetMap links a person may follow. The page calls the public API like
any client (``docs/web.md``). The API docs (``api.docs``) are registered with it.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from api import docs

bp = Blueprint("web", __name__)
bp.register_blueprint(docs.bp)  # /docs/: Swagger UI, the developers' page beside this one

WEB_DIR = Path(__file__).resolve().parent / "web"
TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
CSP = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' blob: data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def _secure(response: Response) -> Response:
    response.headers.pop("Content-Disposition", None)  # shown in the browser, not saved
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/")
def index():
    return _secure(send_from_directory(WEB_DIR, "index.html", mimetype=TYPES[".html"]))


@bp.get("/web/<path:name>")
def asset(name: str):
    mimetype = TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
    return _secure(send_from_directory(WEB_DIR, name, mimetype=mimetype))
